"""Per-turn TTS-suitability checks: code, math, URLs, tables, length, rare symbols, language.

Each ``find_*`` function returns a :class:`Finding` (reason code, the rule that fired, the
offending span) or ``None``. :func:`screen_text` runs the enabled checks in a fixed order and
returns the first finding, so a turn is always reported under one stable reason:

    too_long (size) -> empty -> table -> url -> code -> math -> code (symbol density) -> symbols
    -> too_long (words) -> language

The size check (characters per turn, longest token) runs first and in linear time, so a
pathological turn (one 5 MB "word") is rejected before any regex sees it.

The rules aim at text a TTS voice would read badly *and* that a rewrite can not simply repair.
Deliberately **not** rejected (the rewrite stage flattens them into prose): bulleted and numbered
lists (``-``, ``*``, ``+``, ``•``, ``1.``, ``1)``, ``a)``), markdown headings (``#`` lines and
``===``/``---`` underlines), emphasis (``**bold**``, ``_italic_``), block quotes (``>``),
horizontal rules, and prose that merely mentions code or numbers ("C++", "C#", "Node.js",
"3 + 4 apples", "$5 and $10", "24/7", "and/or", "km/h", "50%").

Speed: every rule names substrings without one of which it can not match (a character such as
``(`` or ``=``, or a keyword such as ``import``); rules are dispatched on the characters a text
holds and plain ``in`` tests skip the rest, so a regex runs only where it could match. For a
whole dialogue, :func:`screen_turns` runs the span checks once over the joined turns.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from duplexsynth.filters.config import FilterConfig
from duplexsynth.filters.language import detect_other_language
from duplexsynth.schemas.reasons import Reason


@dataclass(frozen=True)
class Finding:
    """Why one turn is unfit for speech: a reason code, the rule that fired, the offending span."""

    reason: str
    rule: str
    span: str = ""

    def detail(self, turn_index: int) -> str:
        """``"turn 1: url 'http://x.y'"``: the turn, the rule and the offending text."""
        if self.span:
            return f"turn {turn_index}: {self.rule} '{snippet(self.span)}'"
        return f"turn {turn_index}: {self.rule}"


def snippet(text: str, limit: int = 60) -> str:
    """``text`` on one line, at most ``limit`` characters (``...`` marks a cut)."""
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 3] + "..."


# ------------------------------------------------------------------------------ rule engine
#: (label, regex, precondition groups, gate regex, accept): a rule runs its regex only when, for
#: every precondition group, one of the group's substrings occurs in the text (plain ``in``
#: tests, far cheaper than a regex scan), and its gate regex (if any) matches.
_Rule = tuple[
    str,
    re.Pattern[str],
    tuple[tuple[str, ...], ...],
    "re.Pattern[str] | None",
    "Callable[[re.Match[str]], bool] | None",
]


def _rule(
    label: str,
    pattern: str,
    *,
    chars: str = "",
    needs: tuple[str, ...] = (),
    gate: str | None = None,
    flags: int = 0,
    accept: Callable[[re.Match[str]], bool] | None = None,
) -> _Rule:
    """A rule; ``chars``: one of these characters must occur; ``needs``: one of these strings."""
    groups = tuple(g for g in (tuple(chars), tuple(needs)) if g)
    return (label, re.compile(pattern, flags), groups, re.compile(gate) if gate else None, accept)


def _match(rule: _Rule, text: str) -> re.Match[str] | None:
    _, pattern, groups, gate, accept = rule
    for group in groups:
        for s in group:
            if s in text:
                break
        else:
            return None
    if gate is not None and gate.search(text) is None:
        return None
    if accept is None:
        return pattern.search(text)
    for m in pattern.finditer(text):
        if accept(m):
            return m
    return None


class _RuleSet:
    """Rules of one reason, dispatched by trigger character.

    A rule whose first precondition group is single characters is only tried when one of them
    occurs in the text; the character set of a turn is computed once for all rule sets.
    """

    def __init__(self, reason: str, rules: tuple[_Rule, ...]) -> None:
        self.reason = reason
        self.rules = rules
        self.always: list[int] = []
        self.by_char: dict[str, list[int]] = {}
        for i, rule in enumerate(rules):
            groups = rule[2]
            if groups and all(len(c) == 1 for c in groups[0]):
                for c in groups[0]:
                    self.by_char.setdefault(c, []).append(i)
            else:
                self.always.append(i)
        self.trigger_chars = frozenset(self.by_char)

    def find(self, text: str, chars: frozenset[str] | None = None) -> Finding | None:
        if chars is None:
            chars = frozenset(text)
        hits = self.trigger_chars.intersection(chars)
        if hits:
            candidates = set(self.always)
            for c in hits:
                candidates.update(self.by_char[c])
            order: Iterable[int] = sorted(candidates)
        else:
            order = self.always
        rules = self.rules
        for i in order:
            m = _match(rules[i], text)
            if m is not None:
                return Finding(self.reason, rules[i][0], m.group(0))
        return None


def _not_after(chars: str) -> Callable[[re.Match[str]], bool]:
    """Accept a match only when the character before it is not alphanumeric or in ``chars``."""

    def accept(m: re.Match[str]) -> bool:
        i = m.start()
        if i == 0:
            return True
        prev = m.string[i - 1]
        return not (prev.isalnum() or prev in chars)

    return accept


def _after_identifier(m: re.Match[str]) -> bool:
    i = m.start()
    return i > 0 and (m.string[i - 1].isalnum() or m.string[i - 1] == "_")


def _after_single_letter(m: re.Match[str]) -> bool:
    i = m.start()
    s = m.string
    return i > 0 and s[i - 1].isalpha() and (i < 2 or not s[i - 2].isalnum())


# ------------------------------------------------------------------------------------ empty
_ALNUM_RE = re.compile(r"[^\W_]")


def find_empty(text: str | None) -> Finding | None:
    """Missing or blank text, or text with no letters or digits and nothing else to blame."""
    if text is None or not text.strip():
        return Finding(Reason.EMPTY.value, "empty text")
    if _ALNUM_RE.search(text) is None and find_symbols(text) is None:
        return Finding(Reason.EMPTY.value, "no words", text)
    return None


# ------------------------------------------------------------------------------------ table
_TABLE = _RuleSet(
    Reason.TABLE.value,
    (
        _rule(
            "markdown table",
            r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)+\|?[ \t]*$",
            chars="|",
            flags=re.M,
        ),
        _rule(
            "markdown table",
            r"^[^\n|]*\|[^\n|]*\|[^\n]*\n[^\n|]*\|[^\n|]*\|[^\n]*$",
            chars="|",
            flags=re.M,
        ),
        _rule(
            "ascii table",
            r"^[ \t]*\+(?:[-=]{3,}\+){2,}[ \t]*$",
            chars="+",
            needs=("+-", "+="),
            flags=re.M,
        ),
        _rule(
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
_URL = _RuleSet(
    Reason.URL.value,
    (
        _rule("url", r"\b(?:https?|ftp|file|ssh|git)://[^\s<>\"'`)\]]+", chars=":", needs=("://",)),
        _rule("url", r"\bwww\.[\w-]+(?:\.[\w-]+)+[^\s<>\"'`)\]]*", chars=".", needs=("www.",)),
        _rule("email", r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b", chars="@"),
        _rule(
            "file path",
            r"(?:~|\.{1,2})/[\w.-]+[\w./-]*",
            chars="/",
            needs=("~/", "./"),
            accept=_not_after(_PATH_BEFORE),
        ),
        _rule("file path", r"/(?:[\w.-]+/)+[\w.-]+", chars="/", accept=_not_after(_PATH_BEFORE)),
        _rule("file path", r"[A-Za-z]:\\[^\s\"'<>|]+", chars="\\", accept=_not_after("")),
        _rule(
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


_CODE = _RuleSet(
    Reason.CODE.value,
    (
        _rule(
            "fenced code block", r"^[ \t]*(?:```|~~~)", chars="`~", needs=("```", "~~~"), flags=re.M
        ),
        _rule("inline code", r"(?<![\w`])`[^`\n]+`(?![\w`'])", chars="`"),
        _rule("shell prompt", r"^[ \t]*\$ [a-z][\w.-]*", chars="$", needs=("$ ",), flags=re.M),
        _rule(
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
        _rule(
            "shell command",
            r" +(?:-{1,2}[A-Za-z][\w-]*|[~.]?/[\w.~/-]*)",
            needs=(" -", " /", " ./", " ~/"),
            accept=_is_shell_tool,
        ),
        _rule(
            "command-line flag",
            r"(?<![\w-])--[a-z]+(?:-[a-z0-9]+)+\b|(?<![\w-])--[a-z][\w-]*=",
            chars="-",
            needs=("--",),
        ),
        _rule(
            "definition",
            r"^[ \t]*(?:async )?def \w+ ?\(|^[ \t]*class \w+ ?(?:\([^)\n]*\))? ?:"
            r"|^[ \t]*(?:var|let|const) [A-Za-z_$][\w$]* ?= ?(?:[\"'\[{`]|new |\w+\(|[^\n]*;[ \t]*$)"
            r"|\b(?:public|private|protected) +(?:static +)?(?:void|int|String|boolean|class|final)\b",
            needs=("def ", "class ", "var ", "let ", "const ", "public ", "private ", "protected "),
            flags=re.M,
        ),
        _rule(
            "definition",
            r"^[ \t]*class \w+[^{\n]*\{|\bfunction ?\w* ?\([^)\n]*\) ?\{",
            chars="{",
            flags=re.M,
        ),
        _rule(
            "import",
            r"^[ \t]*(?:import [\w.]+(?: as \w+)?|from [\w.]+ import [\w*, ]+)[ \t]*;?[ \t]*$"
            r"|^[ \t]*import .+ from [\"']|^[ \t]*#include *[<\"]|^[ \t]*using namespace \w"
            r"|^[ \t]*package [a-z][\w.]*;?[ \t]*$",
            needs=("import", "#include", "using namespace", "package "),
            flags=re.M,
        ),
        _rule("shebang", r"^#!/", chars="#", needs=("#!/",), flags=re.M),
        _rule(
            "code call",
            r"console\.log|System\.out\.print|printf|println|std::|cout *<<",
            chars="(:<",
            needs=("console.log", "System.out", "printf", "println", "std::", "cout"),
        ),
        _rule(
            "code call",
            r"\.[A-Za-z_]\w*\([^()\n]*\)",
            chars="(",
            needs=(".",),
            accept=_after_identifier,
        ),
        _rule("code call", r"\b[a-z_][a-z0-9_]*\(\)", chars="(", needs=("()",)),
        _rule(
            "code call",
            r"\b[A-Za-z_]\w*\( ?[\"'][^\n]*[\"'] ?\)",
            chars="(",
            needs=("('", '("', "( '", '( "'),
        ),
        _rule(
            "statement",
            r"^[^\n]*(?:\w ?[-+*/]?= ?[^=\n]+|\w\([^()\n]*\));[ \t]*$",
            chars=";",
            flags=re.M,
        ),
        _rule("statement", r"^[ \t]*[{}][ \t]*$|\) ?\{[ \t]*$", chars="{}", flags=re.M),
        _rule("statement", r"\) ?=> ?", chars="=", needs=("=>",)),
        _rule(
            "statement",
            r"^[ \t]*[A-Za-z_][\w.]*[a-z_0-9] ?= ?(?:[\"'\[{]|True\b|False\b|None\b|null\b|true\b"
            r"|false\b|new\b|[A-Za-z_][\w.]*\()",
            chars="=",
            flags=re.M,
        ),
        _rule(
            "markup tag",
            r"</?[A-Za-z][\w:-]*(?:\s+[\w:-]+(?:=(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s>]+))?)*\s*/?>",
            chars="<",
        ),
        _rule("data syntax", r"\{\s*\"[^\"\n]+\"\s*:|\[\s*\{\s*\"", chars="{"),
        _rule(
            "operator",
            r"(?<!=)===(?!=)|!==|&&|\|\||\b[a-z_]\w*\+\+(?=[;)\]\n]|$)|(?<![\w+])\+\+[a-z_]\w*"
            r"|<<=|>>=|\w ?(?:\+=|-=|\*=|!=) ?\w",
            chars="=&|+",
            needs=("==", "&&", "||", "++", "<<=", ">>=", "+=", "-=", "*=", "!="),
        ),
        _rule("operator", r"\w->\w", chars=">", needs=("->",)),
        _rule("operator", r"\w::\w", chars=":", needs=("::",)),
        _rule(
            "identifier",
            r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b__\w+__\b",
            chars="_",
            accept=_not_after("\\"),  # ``\int_0`` is a LaTeX command with a subscript: math
        ),
        _rule(
            "identifier",
            r"[a-z]+(?:[A-Z][a-z0-9]+){2,}",
            gate=r"[a-z][A-Z]",
            accept=_not_after(""),
        ),
        _rule(
            "identifier",
            r"\b[A-Za-z_]\w*\[(?:[A-Za-z_]\w*|\"[^\"\n]*\"|'[^'\n]*'|\d+:\d*|:\d+)\]",
            chars="[",
        ),
        _rule(
            "sql",
            r"\bSELECT +(?:\*|[\w.]+(?: ?, ?[\w.]+)*) +FROM +\w+"
            r"|\b(?:INSERT +INTO|CREATE +TABLE|DELETE +FROM|ALTER +TABLE|DROP +TABLE) +\w+"
            r"|\bUPDATE +\w+ +SET +\w+ ?=",
            needs=("SELECT", "INSERT", "CREATE", "DELETE", "ALTER", "DROP", "UPDATE"),
        ),
        _rule("hex literal", r"\b0x[0-9a-fA-F]{2,}\b", chars="x", needs=("0x",)),
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
_MATH = _RuleSet(
    Reason.MATH.value,
    (
        _rule(
            "LaTeX",
            r"\$\$[^$]+\$\$|\\\(.+?\\\)|\\\[.+?\\\]"
            r"|(?<![\w$])\$(?=[^$\n]*(?:\\[A-Za-z]|[\^_{}=]))[^$\n]+\$"
            rf"|\\(?:{_LATEX_COMMANDS})(?![A-Za-z])",
            chars="$\\",
            flags=re.S,
        ),
        _rule("math symbol", f"[{_MATH_SYMBOLS}]", chars=_MATH_SYMBOLS),
        _rule(
            "equation",
            rf"(?<![\w.]){_OPERAND}(?: ?{_OP} ?{_OPERAND})+ ?= ?-?{_OPERAND}(?![\w])"
            rf"|(?<![\w.]){_OPERAND} ?= ?-?{_OPERAND}(?: ?{_OP} ?{_OPERAND})+(?![\w])",
            chars="=",
        ),
        _rule("exponent", r"(?:\b[A-Za-z]|\d|\)) ?\^ ?[\w(-]", chars="^"),
        _rule(
            "inequality",
            r"(?<![\w<>])(?:[a-zA-Z]|\d+(?:\.\d+)?) (?:<=|>=|<|>) -?(?:\d+(?:\.\d+)?|[a-zA-Z])(?!\w)",
            chars="<>",
        ),
        _rule("function", r"\([a-zA-Z0-9]\) ?=", chars="=", accept=_after_single_letter),
        _rule(
            "function",
            r"\b(?:sin|cos|tan|log|ln|exp|sqrt) ?\([\w^+\-*/ .]+\)",
            chars="(",
            needs=("sin", "cos", "tan", "log", "ln", "exp", "sqrt"),
        ),
        _rule("function", r"\bd[a-z]/d[a-z]\b", chars="/", needs=("/d",)),
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


# ---------------------------------------------------------------------------------- symbols
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# characters outside the common letters, digits and punctuation of the scripts we know
_RARE_CANDIDATE_RE = re.compile(
    "[^\x00-\x7f\u00a0-\u024f\u0370-\u03ff\u0400-\u04ff\u0590-\u06ff\u0900-\u097f\u0e00-\u0e7f"
    "\u1100-\u11ff\u1e00-\u1fff\u2010-\u2027\u2030-\u205e\u3000-\u303f\u3040-\u30ff\u3130-\u318f"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff01-\uff5e]"
)
_ALLOWED_SYMBOLS = frozenset("°©®™№℃℉€£¥₹₩₽¢")
_ALLOWED_FORMAT = frozenset("\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff")


@lru_cache(maxsize=4096)
def _rare_kind(ch: str) -> str | None:
    """``"emoji"``/``"rare symbol"``/``"control character"`` for a character TTS can't read."""
    if ch in _ALLOWED_SYMBOLS or ch in _ALLOWED_FORMAT:
        return None
    cat = unicodedata.category(ch)
    if cat[0] in "LMNPZ" or cat == "Sc":
        return None
    cp = ord(ch)
    if 0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF or cp in (0x2B50, 0x2B55, 0x3030):
        return "emoji"
    if cat == "Cc":
        return "control character"
    return "rare symbol"


def find_symbols(text: str) -> Finding | None:
    """Control characters, emoji, and symbols outside letters/digits/punctuation/currency
    (box drawing, arrows, dingbats, private-use and unassigned code points)."""
    m = _CONTROL_RE.search(text)
    if m is not None:
        return Finding(Reason.SYMBOLS.value, f"control character U+{ord(m.group(0)):04X}")
    if text.isascii():
        return None
    for m in _RARE_CANDIDATE_RE.finditer(text):
        ch = m.group(0)
        kind = _rare_kind(ch)
        if kind is not None:
            return Finding(Reason.SYMBOLS.value, f"{kind} U+{ord(ch):04X}", ch)
    return None


# --------------------------------------------------------------------------------- too_long
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def word_count(text: str) -> int:
    """Whitespace-separated tokens; each Han/kana/Hangul character counts as one word."""
    n = len(text.split())
    if not text.isascii():
        n += len(_CJK_RE.findall(text))
    return n


_TOKEN_RE = re.compile(r"\S+")


def find_oversize(text: str | None, max_chars: int, max_token_chars: int) -> Finding | None:
    """More than ``max_chars`` characters, or a token (run of non-space) over ``max_token_chars``.

    Linear in the text and regex-free in the common case; the detail carries the measurement.
    """
    if text is None:
        return None
    n = len(text)
    if n > max_chars:
        return Finding(Reason.TOO_LONG.value, f"too_long {n} characters > {max_chars}")
    if n <= max_token_chars:
        return None
    if max(map(len, text.split()), default=0) <= max_token_chars:
        return None
    for m in _TOKEN_RE.finditer(text):
        token = m.group(0)
        if len(token) <= max_token_chars:
            continue
        # Han/kana/Hangul are written without spaces: each character is a word of its own
        n = len(token) if token.isascii() else len(token) - len(_CJK_RE.findall(token))
        if n > max_token_chars:
            return Finding(
                Reason.TOO_LONG.value,
                f"too_long token of {n} characters > {max_token_chars}",
                token[:40],
            )
    return None


def find_too_long(text: str, max_words: int) -> Finding | None:
    """More than ``max_words`` words in the turn."""
    n = word_count(text)
    if n > max_words:
        return Finding(Reason.TOO_LONG.value, f"too_long {n} words > {max_words}")
    return None


# --------------------------------------------------------------------------------- language
def find_language(text: str, target: str, min_words: int) -> Finding | None:
    """Text in another language than ``target`` (see :mod:`duplexsynth.filters.language`)."""
    other = detect_other_language(text, target, min_words)
    if other is None:
        return None
    return Finding(Reason.LANGUAGE.value, f"language '{other}' (target '{target}')", text)


# ---------------------------------------------------------------------------------- screen
def _span_checks(text: str, on: Sequence[str]) -> Finding | None:
    """The checks that look for an offending span (all but empty, too_long and language)."""
    chars = frozenset(text)
    if "table" in on and (found := find_table(text, chars)) is not None:
        return found
    if "url" in on and (found := find_url(text, chars)) is not None:
        return found
    if "code" in on and (found := find_code(text, chars)) is not None:
        return found
    if "math" in on and (found := find_math(text, chars)) is not None:
        return found
    if "code" in on and (found := find_dense_code(text)) is not None:
        return found
    if "symbols" in on and (found := find_symbols(text)) is not None:
        return found
    return None


def _turn_checks(text: str, config: FilterConfig) -> Finding | None:
    """The checks that need the turn on its own: too_long and language."""
    on = config.checks
    if "too_long" in on and (found := find_too_long(text, config.max_words_per_turn)) is not None:
        return found
    if "language" in on and config.language != "any":
        return find_language(text, config.language, config.language_min_words)
    return None


def _size_check(text: str | None, config: FilterConfig) -> Finding | None:
    if "too_long" not in config.checks:
        return None
    return find_oversize(text, config.max_chars_per_turn, config.max_token_chars)


def screen_text(text: str | None, config: FilterConfig) -> Finding | None:
    """The first finding of the enabled checks, in the order of the module docstring."""
    found = _size_check(text, config) or find_empty(text)
    if found is not None:
        return found
    return _span_checks(text, config.checks) or _turn_checks(text, config)


def screen_turns(texts: Sequence[str | None], config: FilterConfig) -> tuple[int, Finding] | None:
    """The first turn with a finding and that finding (as :func:`screen_text` per turn), or None.

    Fast path: the span checks run once over the turns joined by newlines. No rule can lose a
    match across a newline boundary (patterns either stop at newlines or treat them like the
    start/end of the text), so no span finding there means none in any turn, and only the empty,
    too_long and language checks remain per turn. A span finding there (possibly one that spans
    two turns) falls back to screening turn by turn.
    """
    for i, text in enumerate(texts):
        found = _size_check(text, config)
        if found is not None:
            texts = texts[:i]  # nothing after the oversized turn is screened (or kept)
            hit: tuple[int, Finding] | None = (i, found)
            break
    else:
        hit = None
    return _screen_sized(texts, config) or hit


def _screen_sized(texts: Sequence[str | None], config: FilterConfig) -> tuple[int, Finding] | None:
    """:func:`screen_turns` over turns that passed the size check."""
    if all(find_empty(t) is None for t in texts):
        joined = "\n".join(t for t in texts if t is not None)
        if _span_checks(joined, config.checks) is None:
            for i, text in enumerate(texts):
                found = _turn_checks(text or "", config)
                if found is not None:
                    return i, found
            return None
    for i, text in enumerate(texts):
        found = screen_text(text, config)
        if found is not None:
            return i, found
    return None
