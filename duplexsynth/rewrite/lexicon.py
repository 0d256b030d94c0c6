"""Word tables of the rules normalizer: months, currencies, scales, units, abbreviations, fillers.

Tables are written as compact text and parsed once at import; every entry is a plain fact of
English usage. Editing a table changes outputs: bump ``rules.RULES_VERSION`` with it.
"""

from __future__ import annotations

import re


def _rx(words: list[str] | dict[str, object]) -> str:
    """A non-capturing alternation of ``words``, longest first, escaped."""
    return "(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")"


# ------------------------------------------------------------------------------------ months
MONTH_NAMES = (
    "January February March April May June July August September October November December"
).split()
#: lower-case spelling or abbreviation -> month number
MONTHS: dict[str, int] = {name.lower(): i + 1 for i, name in enumerate(MONTH_NAMES)}
for _pair in (
    "jan=january feb=february mar=march apr=april jun=june jul=july aug=august sep=september "
    "sept=september oct=october nov=november dec=december"
).split():
    _short, _full = _pair.split("=")
    MONTHS[_short] = MONTHS[_full]
MONTH_RE = _rx(MONTHS)

# -------------------------------------------------------------------------------- currencies
#: symbol or ISO code -> (singular, plural, minor singular, minor plural); "-" = no minor unit
_CURRENCY_TABLE = """
$       | dollar            | dollars            | cent     | cents
US$ USD | US dollar         | US dollars         | cent     | cents
A$ AUD  | Australian dollar | Australian dollars | cent     | cents
C$ CAD  | Canadian dollar   | Canadian dollars   | cent     | cents
£ GBP   | pound             | pounds             | penny    | pence
€ EUR   | euro              | euros              | cent     | cents
¥ JPY   | yen               | yen                | -        | -
CNY RMB | yuan              | yuan               | -        | -
₹ INR   | rupee             | rupees             | paisa    | paise
₩ KRW   | won               | won                | -        | -
CHF     | Swiss franc       | Swiss francs       | centime  | centimes
₽ RUB   | ruble             | rubles             | kopek    | kopeks
₿ BTC   | bitcoin           | bitcoin            | -        | -
"""
CURRENCIES: dict[str, tuple[str, str, str | None, str | None]] = {}
for _line in _CURRENCY_TABLE.strip().splitlines():
    _keys, _one, _many, _minor, _minors = (c.strip() for c in _line.split("|"))
    for _k in _keys.split():
        CURRENCIES[_k] = (
            _one,
            _many,
            None if _minor == "-" else _minor,
            None if _minors == "-" else _minors,
        )
CURRENCY_SYMBOL_RE = _rx([k for k in CURRENCIES if not k.isalpha()])
CURRENCY_CODE_RE = _rx([k for k in CURRENCIES if k.isalpha()])

#: suffix or word after a number -> scale word ("$3k", "2bn", "1.5 million")
SCALES: dict[str, str] = {}
for _line in """
thousand: k K thousand
million: m M mn MM mil million
billion: b B bn billion
trillion: t T tn trillion
""".strip().splitlines():
    _word, _keys = _line.split(":")
    SCALES.update({k: _word for k in _keys.split()})
SCALE_RE = _rx(SCALES)

# ------------------------------------------------------------------------------------- units
#: abbreviation(s) (case-sensitive) | singular | plural
_UNIT_TABLE = """
nm | nanometer | nanometers
µm um | micrometer | micrometers
mm | millimeter | millimeters
cm | centimeter | centimeters
m | meter | meters
km | kilometer | kilometers
ft | foot | feet
in. | inch | inches
yd yds | yard | yards
mi | mile | miles
m² m2 sq m | square meter | square meters
km² km2 | square kilometer | square kilometers
cm² | square centimeter | square centimeters
ft² sq ft | square foot | square feet
m³ | cubic meter | cubic meters
cm³ cc | cubic centimeter | cubic centimeters
ml mL | milliliter | milliliters
cl | centiliter | centiliters
dl | deciliter | deciliters
l L | liter | liters
gal | gallon | gallons
fl oz | fluid ounce | fluid ounces
tsp | teaspoon | teaspoons
tbsp Tbsp | tablespoon | tablespoons
mg | milligram | milligrams
µg mcg | microgram | micrograms
g | gram | grams
kg | kilogram | kilograms
lb lbs | pound | pounds
oz | ounce | ounces
ns | nanosecond | nanoseconds
µs | microsecond | microseconds
ms | millisecond | milliseconds
s sec secs | second | seconds
min mins | minute | minutes
h hr hrs | hour | hours
wk wks | week | weeks
yr yrs | year | years
mph | mile per hour | miles per hour
kph kmh km/h | kilometer per hour | kilometers per hour
m/s | meter per second | meters per second
rpm | revolution per minute | revolutions per minute
bpm | beat per minute | beats per minute
fps | frame per second | frames per second
mpg | mile per gallon | miles per gallon
KB kB | kilobyte | kilobytes
MB | megabyte | megabytes
GB | gigabyte | gigabytes
TB | terabyte | terabytes
PB | petabyte | petabytes
Kb | kilobit | kilobits
Mb | megabit | megabits
Gb | gigabit | gigabits
kbps Kbps | kilobit per second | kilobits per second
Mbps | megabit per second | megabits per second
Gbps | gigabit per second | gigabits per second
Hz | hertz | hertz
kHz | kilohertz | kilohertz
MHz | megahertz | megahertz
GHz | gigahertz | gigahertz
W | watt | watts
kW | kilowatt | kilowatts
MW | megawatt | megawatts
GW | gigawatt | gigawatts
kWh | kilowatt hour | kilowatt hours
MWh | megawatt hour | megawatt hours
mAh | milliamp hour | milliamp hours
V | volt | volts
mV | millivolt | millivolts
kV | kilovolt | kilovolts
mA | milliamp | milliamps
Ω | ohm | ohms
cal | calorie | calories
kcal | kilocalorie | kilocalories
J | joule | joules
kJ | kilojoule | kilojoules
dB | decibel | decibels
psi | psi | psi
mmHg | millimeter of mercury | millimeters of mercury
px | pixel | pixels
pt | point | points
ppm | part per million | parts per million
"""
UNITS: dict[str, tuple[str, str]] = {}
for _line in _UNIT_TABLE.strip().splitlines():
    _keys, _one, _many = (c.strip() for c in _line.split("|"))
    # multi-word keys ("sq ft", "fl oz") are written with their space
    for _k in re.findall(r"sq \w+|fl oz|\S+", _keys):
        UNITS[_k] = (_one, _many)
UNIT_RE = _rx(UNITS)

#: words after "/" that mean "per" ("$5/month", "mg/kg"), with the abbreviations spelled out
PER_WORDS = _rx(
    """second sec s minute min hour hr h day week wk month mo year yr night person head unit item
    serving kg lb g oz mile mi km m ft liter litre l L gallon gal page word user seat license
    visit class session lesson ticket share piece dozen pound""".split()
    + ["sq ft"]
)
PER_NAMES = {
    "sec": "second",
    "s": "second",
    "min": "minute",
    "hr": "hour",
    "h": "hour",
    "wk": "week",
    "mo": "month",
    "yr": "year",
    "kg": "kilogram",
    "lb": "pound",
    "g": "gram",
    "oz": "ounce",
    "mi": "mile",
    "km": "kilometer",
    "m": "meter",
    "ft": "foot",
    "sq ft": "square foot",
    "l": "liter",
    "L": "liter",
    "gal": "gallon",
}

# ----------------------------------------------------------------------------- abbreviations
#: (lower-case trigger that must occur, regex, replacement), applied in order; case-sensitive
#: unless the regex says otherwise.
#: A capitalised match gets a capitalised replacement ("Approx." -> "Approximately").
ABBREVIATIONS: list[tuple[str, str, str]] = [
    ("g.", r"\b[Ee]\.\s?[Gg]\.(?=\W|$),?", "for example,"),
    ("e.", r"\b[Ii]\.\s?[Ee]\.(?=\W|$),?", "that is,"),
    ("etc.", r"\betc\.(?=\s*$)", "et cetera."),
    ("etc.", r"\betc\.", "et cetera"),
    ("vs", r"\b[Vv]s\.?(?=\s)", "versus"),
    ("w/o", r"\bw/o\b", "without"),
    ("and/or", r"\band/or\b", "and or"),
    ("1/2", r"(?<![\w./])1/2\s+(?=an?\s)", "half "),
    ("w/", r"(?<!\w)w/(?=\s)", "with"),
    ("b/c", r"\bb/c\b", "because"),
    ("a.k.a", r"\b[Aa]\.[Kk]\.[Aa]\.?", "also known as"),
    ("aka", r"\baka\b", "also known as"),
    ("approx.", r"\b[Aa]pprox\.", "approximately"),
    ("dr.", r"\bDr\.(?=\s+[A-Z])", "Doctor"),
    ("mr.", r"\bMr\.(?=\s)", "Mister"),
    ("mrs.", r"\bMrs\.(?=\s)", "Missus"),
    ("ms.", r"\bMs\.(?=\s)", "Miz"),
    ("prof.", r"\bProf\.(?=\s)", "Professor"),
    ("jr.", r"\bJr\.", "Junior"),
    ("sr.", r"\bSr\.", "Senior"),
    ("st.", r"\bSt\.(?=\s+[A-Z])", "Saint"),
    ("mt.", r"\bMt\.(?=\s+[A-Z])", "Mount"),
    ("no.", r"\b[Nn]o\.\s?(?=\d)", "number "),
    ("nos.", r"\b[Nn]os\.\s?(?=\d)", "numbers "),
    ("fig.", r"\b[Ff]ig\.\s?(?=\d)", "figure "),
    ("vol.", r"\b[Vv]ol\.\s?(?=\d)", "volume "),
    ("ch.", r"\b[Cc]h\.\s?(?=\d)", "chapter "),
    ("pp.", r"\bpp\.\s?(?=\d)", "pages "),
    ("p.", r"\bp\.\s?(?=\d)", "page "),
    ("sec.", r"\bSec\.\s?(?=\d)", "section "),
    ("max.", r"\bmax\.", "maximum"),
    ("min.", r"(?<!\d )(?<!\d)\bmin\.(?=\s+[a-z])", "minimum"),
    ("avg.", r"\bavg\.", "average"),
    ("incl.", r"\bincl\.", "including"),
    ("dept.", r"\bdept\.", "department"),
    ("govt.", r"\bgovt\.", "government"),
    ("inc.", r"\bInc\.", "Incorporated"),
    ("ltd.", r"\bLtd\.", "Limited"),
    ("co.", r"\bCo\.(?=\s)", "Company"),
]

# --------------------------------------------------------------------------------- fillers
FILLERS = ("um", "uh", "well", "so", "you know", "I mean")
#: sentence-initial words lower-cased after an inserted filler ("What is" -> "Um, what is")
COMMON_STARTERS = frozenset(
    """a an the what what's how how's why when where who which whose can could would should will
    do does did is are was were have has had it it's this that these those there there's here my
    your our their his her its please tell give make let let's just so but and or if also then
    now okay ok yes no sure actually maybe hi hello hey thanks thank any some one two three
    first next finally try use add take keep start check write explain describe list name find
    help show recommend suggest summarize translate rewrite create generate compose compare
    classify identify provide calculate convert design outline analyze brainstorm edit
    paraphrase produce evaluate determine predict propose rank sort choose pick define imagine
    pretend answer plan share teach remind offer build draft fix improve correct rephrase shorten
    expand simplify categorize select estimate arrange organize prepare review look read state
    say give tell come go""".split()
)
#: number words that get their capital back at the start of a sentence ("5 km" -> "Five")
NUMBER_STARTERS = frozenset(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty
    ninety hundred thousand million billion first second third fourth fifth sixth seventh eighth
    ninth tenth minus plus point half""".split()
)
