"""The span checks of the filter: tables, URLs, code and math.

Each ``find_*`` function returns the first :class:`~duplexsynth.filter.findings.Finding` of its
rule set (reason code, rule, offending span) or ``None``; ``chars`` is the set of characters of
the text when the caller already has it. :mod:`duplexsynth.filter.heuristics` says in which
order they run and what they deliberately let through.
"""

from __future__ import annotations

import re

from duplexsynth.filter.findings import (
    Finding,
    RuleSet,
    after_identifier,
    after_single_letter,
    make_rule,
    not_after,
)
from duplexsynth.schemas.reasons import Reason

# ------------------------------------------------------------------------------------ table
_TABLE = RuleSet(
    Reason.TABLE.value,
    (
        make_rule(
            "markdown table",
            r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)+\|?[ \t]*$",
            chars="|",
            flags=re.M,
        ),
        make_rule(
            "markdown table",
            r"^[^\n|]*\|[^\n|]*\|[^\n]*\n[^\n|]*\|[^\n|]*\|[^\n]*$",
            chars="|",
            flags=re.M,
        ),
        make_rule(
            "ascii table",
            r"^[ \t]*\+(?:[-=]{3,}\+){2,}[ \t]*$",
            chars="+",
            needs=("+-", "+="),
            flags=re.M,
        ),
        make_rule(
            "tab-separated table",
            r"^[^\n\t]+\t[^\n\t]+\t[^\n]*\n[^\n\t]+\t[^\n\t]+\t[^\n]*$",
            chars="\t",
            flags=re.M,
        ),
    ),
)


def find_table(text: str, chars: frozenset[str] | None = None) -> Finding | None:
    """Markdown tables (a ``|---|---|`` row, or two lines of ``a | b | c``), ASCII and TSV tables."""
    return _TABLE.find(text, chars)


# -------------------------------------------------------------------------------------- url
_TLDS = (
    "com|org|net|edu|gov|mil|io|ai|dev|app|info|biz|co|uk|de|fr|nl|ru|cn|jp|br|au|ca|eu|tv|ly|"
    "xyz|site|online|tech|store|blog"
)
_PATH_BEFORE = ".:/~\\-_"
_URL = RuleSet(
    Reason.URL.value,
    (
        make_rule(
            "url", r"\b(?:https?|ftp|file|ssh|git)://[^\s<>\"'`)\]]+", chars=":", needs=("://",)
        ),
        make_rule("url", r"\bwww\.[\w-]+(?:\.[\w-]+)+[^\s<>\"'`)\]]*", chars=".", needs=("www.",)),
        make_rule("email", r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b", chars="@"),
        make_rule(
            "file path",
            r"(?:~|\.{1,2})/[\w.-]+[\w./-]*",
            chars="/",
            needs=("~/", "./"),
            accept=not_after(_PATH_BEFORE),
        ),
        make_rule("file path", r"/(?:[\w.-]+/)+[\w.-]+", chars="/", accept=not_after(_PATH_BEFORE)),
        make_rule("file path", r"[A-Za-z]:\\[^\s\"'<>|]+", chars="\\", accept=not_after("")),
        make_rule(
            "domain",
            rf"(?<![\w@./-])[A-Za-z0-9][\w-]*(?:\.[\w-]+)*\.(?:{_TLDS})(?:/[^\s<>\"'`)\]]*)?(?![\w-])",
            chars=".",
            gate=rf"\.(?:{_TLDS})(?![\w-])",
        ),
    ),
)


def find_url(text: str, chars: frozenset[str] | None = None) -> Finding | None:
    """URLs (scheme or ``www.``), e-mail addresses, file paths (``/usr/bin``, ``~/notes``,
    ``./run.sh``, ``C:\\Users``) and bare domains with a common web TLD (``example.com``).
    Words with slashes ("and/or", "km/h", "24/7") and names like "Node.js" pass."""
    return _URL.find(text, chars)


# ------------------------------------------------------------------------------------- code
_SHELL_TOOLS = frozenset(
    "ls cd rm cp mv cat grep chmod chown mkdir rmdir touch curl wget ssh scp tar python python3 "
    "node echo export source sed awk find head tail kill ps".split()
)
_WORD_BEFORE_RE = re.compile(r"([\w.-]+)$")


def _is_shell_tool(m: re.Match[str]) -> bool:
    """The flag or path follows a shell tool name (``ls -la``, ``cd /var``), not any word."""
    before = m.string[: m.start()]
    w = _WORD_BEFORE_RE.search(before[-12:])
    if w is None or w.group(1) not in _SHELL_TOOLS:
        return False
    start = m.start() - len(w.group(1))
    return start == 0 or not (m.string[start - 1].isalnum() or m.string[start - 1] in "/-")


_CODE = RuleSet(
    Reason.CODE.value,
    (
        make_rule(
            "fenced code block", r"^[ \t]*(?:```|~~~)", chars="`~", needs=("```", "~~~"), flags=re.M
        ),
        make_rule("inline code", r"(?<![\w`])`[^`\n]+`(?![\w`'])", chars="`"),
        make_rule("shell prompt", r"^[ \t]*\$ [a-z][\w.-]*", chars="$", needs=("$ ",), flags=re.M),
        make_rule(
            "shell command",
            r"\b(?:sudo [a-z]+|pip3? install|npm (?:install|run|i)\b|yarn add|"
            r"apt(?:-get)? (?:install|update|upgrade)|brew install|git (?:clone|commit|push|pull|"
            r"checkout|init|add|status|merge|rebase|diff|branch|remote|fetch|stash|reset|log)\b|"
            r"docker (?:run|build|pull|push|compose|exec|ps|images)\b|kubectl [a-z]+|"
            r"conda (?:install|create|activate)|cargo (?:build|run|new|add|install)\b)",
            needs=(
                "sudo ",
                "pip",
                "npm ",
                "yarn ",
                "apt",
                "brew ",
                "git ",
                "docker ",
                "kubectl ",
                "conda ",
                "cargo ",
            ),
        ),
        make_rule(
            "shell command",
            r" +(?:-{1,2}[A-Za-z][\w-]*|[~.]?/[\w.~/-]*)",
            needs=(" -", " /", " ./", " ~/"),
            accept=_is_shell_tool,
        ),
        make_rule(
            "command-line flag",
            r"(?<![\w-])--[a-z]+(?:-[a-z0-9]+)+\b|(?<![\w-])--[a-z][\w-]*=",
            chars="-",
            needs=("--",),
        ),
        make_rule(
            "definition",
            r"^[ \t]*(?:async )?def \w+ ?\(|^[ \t]*class \w+ ?(?:\([^)\n]*\))? ?:"
            r"|^[ \t]*(?:var|let|const) [A-Za-z_$][\w$]* ?= ?(?:[\"'\[{`]|new |\w+\(|[^\n]*;[ \t]*$)"
            r"|\b(?:public|private|protected) +(?:static +)?(?:void|int|String|boolean|class|final)\b",
            needs=("def ", "class ", "var ", "let ", "const ", "public ", "private ", "protected "),
            flags=re.M,
        ),
        make_rule(
            "definition",
            r"^[ \t]*class \w+[^{\n]*\{|\bfunction ?\w* ?\([^)\n]*\) ?\{",
            chars="{",
            flags=re.M,
        ),
        make_rule(
            "import",
            r"^[ \t]*(?:import [\w.]+(?: as \w+)?|from [\w.]+ import [\w*, ]+)[ \t]*;?[ \t]*$"
            r"|^[ \t]*import .+ from [\"']|^[ \t]*#include *[<\"]|^[ \t]*using namespace \w"
            r"|^[ \t]*package [a-z][\w.]*;?[ \t]*$",
            needs=("import", "#include", "using namespace", "package "),
            flags=re.M,
        ),
        make_rule("shebang", r"^#!/", chars="#", needs=("#!/",), flags=re.M),
        make_rule(
            "code call",
            r"console\.log|System\.out\.print|printf|println|std::|cout *<<",
            chars="(:<",
            needs=("console.log", "System.out", "printf", "println", "std::", "cout"),
        ),
        make_rule(
            "code call",
            r"\.[A-Za-z_]\w*\([^()\n]*\)",
            chars="(",
            needs=(".",),
            accept=after_identifier,
        ),
        make_rule("code call", r"\b[a-z_][a-z0-9_]*\(\)", chars="(", needs=("()",)),
        make_rule(
            "code call",
            r"\b[A-Za-z_]\w*\( ?[\"'][^\n]*[\"'] ?\)",
            chars="(",
            needs=("('", '("', "( '", '( "'),
        ),
        make_rule(
            "statement",
            r"^[^\n]*(?:\w ?[-+*/]?= ?[^=\n]+|\w\([^()\n]*\));[ \t]*$",
            chars=";",
            flags=re.M,
        ),
        make_rule("statement", r"^[ \t]*[{}][ \t]*$|\) ?\{[ \t]*$", chars="{}", flags=re.M),
        make_rule("statement", r"\) ?=> ?", chars="=", needs=("=>",)),
        make_rule(
            "statement",
            r"^[ \t]*[A-Za-z_][\w.]*[a-z_0-9] ?= ?(?:[\"'\[{]|True\b|False\b|None\b|null\b|true\b"
            r"|false\b|new\b|[A-Za-z_][\w.]*\()",
            chars="=",
            flags=re.M,
        ),
        make_rule(
            "markup tag",
            r"</?[A-Za-z][\w:-]*(?:\s+[\w:-]+(?:=(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s>]+))?)*\s*/?>",
            chars="<",
        ),
        make_rule("data syntax", r"\{\s*\"[^\"\n]+\"\s*:|\[\s*\{\s*\"", chars="{"),
        make_rule(
            "operator",
            r"(?<!=)===(?!=)|!==|&&|\|\||\b[a-z_]\w*\+\+(?=[;)\]\n]|$)|(?<![\w+])\+\+[a-z_]\w*"
            r"|<<=|>>=|\w ?(?:\+=|-=|\*=|!=) ?\w",
            chars="=&|+",
            needs=("==", "&&", "||", "++", "<<=", ">>=", "+=", "-=", "*=", "!="),
        ),
        make_rule("operator", r"\w->\w", chars=">", needs=("->",)),
        make_rule("operator", r"\w::\w", chars=":", needs=("::",)),
        make_rule(
            "identifier",
            r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b__\w+__\b",
            chars="_",
            accept=not_after("\\"),  # ``\int_0`` is a LaTeX command with a subscript: math
        ),
        make_rule(
            "identifier",
            r"[a-z]+(?:[A-Z][a-z0-9]+){2,}",
            gate=r"[a-z][A-Z]",
            accept=not_after(""),
        ),
        make_rule(
            "identifier",
            r"\b[A-Za-z_]\w*\[(?:[A-Za-z_]\w*|\"[^\"\n]*\"|'[^'\n]*'|\d+:\d*|:\d+)\]",
            chars="[",
        ),
        make_rule(
            "sql",
            r"\bSELECT +(?:\*|[\w.]+(?: ?, ?[\w.]+)*) +FROM +\w+"
            r"|\b(?:INSERT +INTO|CREATE +TABLE|DELETE +FROM|ALTER +TABLE|DROP +TABLE) +\w+"
            r"|\bUPDATE +\w+ +SET +\w+ ?=",
            needs=("SELECT", "INSERT", "CREATE", "DELETE", "ALTER", "DROP", "UPDATE"),
        ),
        make_rule("hex literal", r"\b0x[0-9a-fA-F]{2,}\b", chars="x", needs=("0x",)),
    ),
)
_DENSE_RE = re.compile(r"[{}\[\];=<>|&$~]")
_RULE_LINE_RE = re.compile(r"^[ \t]*([-=*_])(?:[ \t]*\1){2,}[ \t]*$")


def find_code(text: str, chars: frozenset[str] | None = None) -> Finding | None:
    """Fenced/inline code, shell commands, definitions, imports, calls, statements, markup,
    JSON, code operators, code identifiers (snake_case, camelCase, ``x[i]``), SQL, hex."""
    return _CODE.find(text, chars)


def find_dense_code(text: str) -> Finding | None:
    """A line of 12+ characters where ``{}[];=<>|&$~`` make up 15% or more (4+ of them)."""
    if len(_DENSE_RE.findall(text)) < 4:
        return None
    for line in text.splitlines():
        s = line.strip()
        if len(s) < 12 or _RULE_LINE_RE.match(s):
            continue
        n = len(_DENSE_RE.findall(s))
        if n >= 4 and n >= 0.15 * len(s):
            return Finding(Reason.CODE.value, "symbol-dense line", s)
    return None


# ------------------------------------------------------------------------------------- math
_LATEX_COMMANDS = (
    "frac|dfrac|tfrac|sqrt|sum|prod|int|iint|oint|lim|infty|alpha|beta|gamma|delta|epsilon|"
    "varepsilon|zeta|eta|theta|lambda|mu|nu|xi|rho|sigma|tau|phi|varphi|chi|psi|omega|Gamma|Delta|"
    "Theta|Lambda|Sigma|Phi|Omega|partial|nabla|cdot|cdots|ldots|times|div|pm|mp|leq|geq|neq|le|ge|"
    "approx|equiv|sim|propto|rightarrow|Rightarrow|leftarrow|iff|implies|mathbb|mathrm|mathbf|"
    "mathcal|operatorname|text|left|right|begin|end|binom|vec|hat|bar|overline|underline|quad|"
    "qquad|in|notin|subset|subseteq|cup|cap|forall|exists|log|ln|sin|cos|tan|exp|det|max|min"
)
_OPERAND = r"(?:\d+(?:\.\d+)?[a-zA-Z]?|[a-zA-Z]{1,2}\d?|\([^()\n]{1,40}\))"
_OP = r"[-+*/×÷^·]"
_MATH_SYMBOLS = "∑∏∫∮√∞∂∇∈∉∀∃⊂⊃⊆⊇∩∪≤≥≠≡≈∝⇒⇔"
_MATH = RuleSet(
    Reason.MATH.value,
    (
        make_rule(
            "LaTeX",
            r"\$\$[^$]+\$\$|\\\(.+?\\\)|\\\[.+?\\\]"
            r"|(?<![\w$])\$(?=[^$\n]*(?:\\[A-Za-z]|[\^_{}=]))[^$\n]+\$"
            rf"|\\(?:{_LATEX_COMMANDS})(?![A-Za-z])",
            chars="$\\",
            flags=re.S,
        ),
        make_rule("math symbol", f"[{_MATH_SYMBOLS}]", chars=_MATH_SYMBOLS),
        make_rule(
            "equation",
            rf"(?<![\w.]){_OPERAND}(?: ?{_OP} ?{_OPERAND})+ ?= ?-?{_OPERAND}(?![\w])"
            rf"|(?<![\w.]){_OPERAND} ?= ?-?{_OPERAND}(?: ?{_OP} ?{_OPERAND})+(?![\w])",
            chars="=",
        ),
        make_rule("exponent", r"(?:\b[A-Za-z]|\d|\)) ?\^ ?[\w(-]", chars="^"),
        make_rule(
            "inequality",
            r"(?<![\w<>])(?:[a-zA-Z]|\d+(?:\.\d+)?) (?:<=|>=|<|>) -?(?:\d+(?:\.\d+)?|[a-zA-Z])(?!\w)",
            chars="<>",
        ),
        make_rule("function", r"\([a-zA-Z0-9]\) ?=", chars="=", accept=after_single_letter),
        make_rule(
            "function",
            r"\b(?:sin|cos|tan|log|ln|exp|sqrt) ?\([\w^+\-*/ .]+\)",
            chars="(",
            needs=("sin", "cos", "tan", "log", "ln", "exp", "sqrt"),
        ),
        make_rule("function", r"\bd[a-z]/d[a-z]\b", chars="/", needs=("/d",)),
    ),
)
_CHAIN_RE = re.compile(rf"(?<![\w.]){_OPERAND}(?: ?([+*/×÷^]) ?{_OPERAND}){{2,}}(?![\w])")
_CHAIN_OPS_RE = re.compile(r"[+*/×÷^]")


def find_math(text: str, chars: frozenset[str] | None = None) -> Finding | None:
    """LaTeX, math symbols, equations (an operator and ``=``), exponents, inequalities with
    spaces (``x < 5``), function notation, and operator chains (``2 + 3 * 4``: two or more of
    ``+ * / × ÷ ^``; chains of ``/`` alone, like dates, pass). A single operator with no ``=``
    ("3 + 4 apples") passes."""
    found = _MATH.find(text, chars)
    if found is not None:
        return found
    n_ops = text.count("+") + text.count("*") + text.count("/") + text.count("^")
    if n_ops < 2 and not text.isascii():
        n_ops += text.count("×") + text.count("÷")
    if n_ops >= 2:
        for m in _CHAIN_RE.finditer(text):
            if set(_CHAIN_OPS_RE.findall(m.group(0))) != {"/"}:
                return Finding(Reason.MATH.value, "operator chain", m.group(0))
    return None
