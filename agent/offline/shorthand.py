"""How people write in Slack during an incident, rewritten to the words the planner reads.

Applied to the lower-cased question before any pass: abbreviations ("w/", "svc", "reqs", "#"),
common misspellings ("erors", "latncy", "애러"), glued numbers and units ("24h", "5m", "10k",
"10,000") and Korean spacing variants. Each entry is a whole word (or a Korean stem), so a name
from the data that happens to contain one is never touched.
"""

from __future__ import annotations

import re

# whole English words → what they stand for
WORDS = {
    "w/": "with",
    "w/o": "without",
    "wo/": "without",
    "svc": "service",
    "svcs": "services",
    "srv": "service",
    "req": "request",
    "reqs": "requests",
    "resp": "response",
    "resps": "responses",
    "err": "error",
    "errs": "errors",
    "eror": "error",
    "erors": "errors",
    "errror": "error",
    "errrors": "errors",
    "errros": "errors",
    "erorrs": "errors",
    "errorz": "errors",
    "excpetion": "exception",
    "exceptoin": "exception",
    "exeption": "exception",
    "exeptions": "exceptions",
    "lgos": "logs",
    "lgo": "log",
    "logz": "logs",
    "lgs": "logs",
    "dump": "show",
    "msg": "message",
    "msgs": "messages",
    "hw": "how",
    "hwo": "how",
    "hiw": "how",
    "mnay": "many",
    "manny": "many",
    "lst": "last",
    "yday": "yesterday",
    "yest": "yesterday",
    "ystd": "yesterday",
    "tdy": "today",
    "latncy": "latency",
    "latecy": "latency",
    "lantency": "latency",
    "latancy": "latency",
    "latenct": "latency",
    "durations": "durations",
    "avrage": "average",
    "averge": "average",
    "sevice": "service",
    "servcie": "service",
    "serivce": "service",
    "servise": "service",
    "sevices": "services",
    "servcies": "services",
    "endpiont": "endpoint",
    "endpoitn": "endpoint",
    "enpoint": "endpoint",
    "endpionts": "endpoints",
    "enpoints": "endpoints",
    "warnigs": "warnings",
    "warnigns": "warnings",
    "warns": "warnings",
    "wrn": "warn",
    "dbg": "debug",
    "usr": "user",
    "usrs": "users",
    "ppl": "people",
    "pct": "percent",
    "perc": "percent",
    "percnt": "percent",
    "env": "environment",
    "envs": "environments",
    "cnt": "count",
    "num": "number",
    "tot": "total",
    "approx": "about",
    "b/w": "between",
    "btwn": "between",
    "thru": "through",
    "w": "with",
    # number words from two up, as digits ("the three most frequent", "last twelve hours");
    # "one" stays a word ("which one", "is it one box")
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "fifteen": "15",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "sixty": "60",
    "ninety": "90",
    "hundred": "100",
    "comon": "common",
    "commom": "common",
    "frequnet": "frequent",
    "mehtod": "method",
    "metod": "method",
    "methdo": "method",
    "ts": "timestamp",
    "em": "them",
    "pls": "please",
    "hr": "hour",
    "hrs": "hours",
    "wk": "week",
    "wks": "weeks",
    "mins": "minutes",
    "rn": "right now",
    "atm": "at the moment",
    "fe": "frontend",
    "application": "app",
    "applications": "apps",
    "errored": "errors",
    "erroring": "errors",
    "stg": "staging",
    "dupes": "duplicates",
    "dups": "duplicates",
    "versus": "vs",
    "issue": "error",
    "issues": "errors",
    "lastest": "latest",
}
# column names written as they are in the table, in the words the planner reads
COLUMN_NAMES = re.compile(r"(?<![\w\-])(created_at|duration_ms|error_types?|service_versions?)(?![a-z0-9_\-])")
COLUMN_WORDS = {
    "created_at": "timestamp",
    "duration_ms": "duration",
    "error_type": "error type",
    "error_types": "error types",
    "service_version": "service version",
    "service_versions": "service versions",
}
# the status class people mean: "server errors" are 5xx, "client errors" 4xx
STATUS_CLASS_WORDS = [
    (re.compile(r"(?<![\w\-])server[\s-](?:errors?|failures?)(?![\w\-])(?:\s*\(\s*5xx\s*\))?"), "5xx"),
    (re.compile(r"(?<![\w\-])client[\s-](?:errors?|failures?)(?![\w\-])(?:\s*\(\s*4xx\s*\))?"), "4xx"),
    (re.compile(r"서버\s*(?:에러|오류)(?:\s*\(\s*5xx\s*\))?"), "5xx"),
]
# "1.5h", "an hour and a half", "한 시간 반": 90 minutes
HOUR_AND_A_HALF = re.compile(
    r"(?<![\w.])1\.5\s*(?:h|hrs?|hours?)(?![a-z])|(?:an?\s+|one\s+)?hour\s+and\s+a\s+half|(?:한|1)\s*시간\s*반"
)
# "#", "# of": a count
HASH = re.compile(r"(?<![\w#])#(?:\s*of)?(?=\s)")
# glued number + unit: "24h", "5m", "30min", "7d", "2wk"
GLUED_UNIT = re.compile(r"(?<![\w.])(\d+)\s?(h|hr|hrs|m|min|mins|d|w|wk|wks)(?![a-z0-9_/])")  # not "3 w/ counts"
# Korean native numbers before a counter: "세 개" → "3개", "두시" → "2시", "스물네 시간" → "24시간"
# ("한 번도" stays: never)
KOREAN_NUMBER = re.compile(
    r"(?<![가-힣])(?=[열스서마쉰한두세네다여일아])(열|스물|스무|서른|마흔|쉰)?(한|두|세|네|다섯|여섯|일곱|여덟|아홉)?\s*"
    r"(개|명|건|곳|가지|줄|시간|시(?!간)|분|번(?!도))"
)
# Sino-Korean numbers with a ten or a hundred in them: "삼십분" → "30분", "백 건" → "100건", "이십사시간"
SINO_NUMBER = re.compile(
    r"(?<![가-힣])(?=[이삼사오육칠팔구십백])([이삼사오육칠팔구]?백)?([이삼사오육칠팔구]?십)?([일이삼사오육칠팔구])?\s*"
    r"(개|명|건|곳|가지|줄|시간|분|초|번|회|일)(?![가-힣]*(?:요일))"
)
SINO_DIGITS = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9}
COUNTED_FAILURE_KO = re.compile(r"(로그인|인증)\s*(\d+\s*(?:번|회)\s*(?:이상|넘게|초과)?)\s*(실패)")
FIRST_FAILURE_KO = re.compile(r"(로그인|인증)\s*(첫|처음)\s*(실패|오류|에러)")
KOREAN_TENS = {"열": 10, "스물": 20, "스무": 20, "서른": 30, "마흔": 40, "쉰": 50}
KOREAN_NUMBERS = {  # the units; a number is its tens (KOREAN_TENS) and its units
    "한": 1,
    "두": 2,
    "세": 3,
    "네": 4,
    "다섯": 5,
    "여섯": 6,
    "일곱": 7,
    "여덟": 8,
    "아홉": 9,
}
UNIT_WORDS = {
    "h": "hours",
    "hr": "hours",
    "hrs": "hours",
    "m": "minutes",
    "min": "minutes",
    "mins": "minutes",
    "d": "days",
    "w": "weeks",
    "wk": "weeks",
    "wks": "weeks",
}
# "만 자", "1만 건", "5천 ms": Korean myriads and thousands before a unit, as digits
KOREAN_MYRIAD = re.compile(r"(?<![가-힣\d])(\d+)?\s*(만|천)\s*(?=자|글자|건|개|번|줄|ms|밀리초|바이트|byte)")
# "이틀", "사흘": two and three days
KOREAN_DAYS = re.compile(r"(?<![가-힣])(이틀|사흘|나흘)(?=\s|$|간|동안|사이|치|내|[,?.)]|전|째)")
KOREAN_DAY_COUNTS = {"이틀": 2, "사흘": 3, "나흘": 4}  # (하루 is read where it stands: 어제 하루, 하루 단위)
THOUSANDS = re.compile(r"(?<![\w.,])(\d{1,3})(?:,(\d{3}))+(?![\w,])")
# "top3", "top 5": glued numbers; "logs/hour": per hour; "minute-by-minute": per minute
GLUED_TOP = re.compile(r"(?<![\w])top(\d+)(?![\w])")
PER_SLASH = re.compile(r"(?<=[a-z])\s*/\s*(minute|min|hour|hr|day|week)(?![\w])")
BY_UNIT = re.compile(r"(?<![\w])(minute|hour|day|week)-by-(?:minute|hour|day|week)(?![\w])")
# "ten-minute buckets", "five-minute intervals": the number as digits
NUMBER_HYPHEN = re.compile(
    r"(?<![\w])(two|three|four|five|six|ten|twelve|fifteen|twenty|thirty|sixty)-(minute|hour|day|week)(?![\w])"
)
PER_HYPHEN = re.compile(r"(?<![\w])per-(minute|min|hour|hr|day|week)(?![\w])")
# "prod-only error types": only in production
ONLY_HYPHEN = re.compile(r"(?<![\w\-])(prod|production|staging|stg|dev|development)-only(?![\w\-])")
KILO = re.compile(r"(?<![\w.])(\d+)k(?![\w])")
# Korean: misspellings and spacing variants of the planner's words
KOREAN = {
    "애러": "에러",
    "에라": "에러",
    "에러들": "에러",
    "응답시간": "응답 시간",
    "응답속도": "응답 시간",
    "응답 속도": "응답 시간",
    "지연시간": "지연 시간",
    "레이턴시": "지연 시간",
    "스택트레이스": "스택 트레이스",
    "일주일": "1주",
    "한시간": "한 시간",
    "반시간": "30분",
    "30분간": "30분",
    "젤": "제일",
    "리젼": "리전",
    "메세지": "메시지",
}
# "최근 하루", "하루 동안" are one day; "어제 하루" is yesterday, said whole
ONE_DAY = re.compile(r"(?<!어제 )(?<!어제)하루(?!\s*(?:단위|별|마다|간격))")
HALF_HOUR = re.compile(r"\b(?:a\s+)?half(?:\s+an|\s+a)?\s+hour\b")
HALF_DAY = re.compile(r"\b(?:a\s+)?half(?:\s+a|-)?\s*day\b")
# "500-class statuses", "5xx class errors": the status class
STATUS_CLASS = re.compile(r"(?<![\w\-])([45])(?:00|xx)[-\s]?class(?![\w\-])")
# "탑3", "탑 5": top N
TOP_KO = re.compile(r"탑\s*(\d+)")
# "시간당 몇 개씩", "분당 에러": per hour, per minute (but "시간당 평균" is a rate, read where it stands)
PER_UNIT_KO = re.compile(r"(시간|분)당(?!\s*평균)")
# "첨 난 시점": first
FIRST_KO = re.compile(r"(?<![가-힣])첨(?![가-힣])|(?:제일|가장|맨)\s*(?:첫|처음)(?:번째)?")
# "전체기간", "전 기간": all time, which is no window at all
ALL_TIME = re.compile(r"(?:전체|모든|전)\s*기간(?:\s*(?:동안|에서|기준))?|\ball[-\s]time\b")
# "24 hours 이내" (an English unit in a Korean question): the Korean unit
ENGLISH_UNIT_KO = re.compile(r"(\d+)\s+(hours|minutes|days|weeks)(?=\s*(?:이내|내|안에|동안|간|치|사이))")
ENGLISH_UNIT_WORDS_KO = {"hours": "시간", "minutes": "분", "days": "일", "weeks": "주"}


def expand(lowered: str) -> str:
    """The question with its shorthand written out (input and output are lower case)."""
    text = HALF_HOUR.sub("30 minutes", lowered)
    text = HOUR_AND_A_HALF.sub("90 minutes", text)
    text = HALF_DAY.sub("12 hours", text)
    text = STATUS_CLASS.sub(r"\1xx", text)
    text = ALL_TIME.sub(" ", text)
    text = HASH.sub("number of", text)
    text = GLUED_TOP.sub(r"top \1", text)
    text = PER_SLASH.sub(lambda m: " per " + _unit(m.group(1)), text)
    text = BY_UNIT.sub(r"per \1", text)
    text = NUMBER_HYPHEN.sub(lambda m: f"{WORDS[m.group(1)]}-{m.group(2)}", text)
    text = PER_HYPHEN.sub(lambda m: "per " + _unit(m.group(1)), text)
    text = ONLY_HYPHEN.sub(lambda m: "only in " + m.group(1), text)
    text = text.replace("half-hour", "30-minute").replace("half hour", "30 minutes")
    text = THOUSANDS.sub(lambda m: m.group(0).replace(",", ""), text)
    text = KILO.sub(lambda m: str(int(m.group(1)) * 1000), text)
    text = GLUED_UNIT.sub(lambda m: f"{m.group(1)} {UNIT_WORDS[m.group(2)]}", text)
    text = COLUMN_NAMES.sub(lambda m: COLUMN_WORDS[m.group(1)], text)
    for pattern, status_class in STATUS_CLASS_WORDS:
        text = pattern.sub(status_class, text)
    text = re.sub(r"(?<![a-z0-9_/\-])([a-z]+/?[a-z]*)(?![a-z0-9_/\-])", _word, text)  # "svc별" too
    for written, meant in KOREAN.items():
        text = text.replace(written, meant)
    text = FIRST_FAILURE_KO.sub(r"\2 \1 \3", text)  # "로그인 첫 실패" is the first login failure
    text = KOREAN_DAYS.sub(lambda m: f"{KOREAN_DAY_COUNTS[m.group(1)]}일", text)
    text = KOREAN_MYRIAD.sub(lambda m: f"{int(m.group(1) or 1) * (10_000 if m.group(2) == '만' else 1000)}", text)
    text = KOREAN_NUMBER.sub(_native_number, text)
    text = SINO_NUMBER.sub(_sino_number, text)
    text = TOP_KO.sub(r"top \1", text)
    text = PER_UNIT_KO.sub(r"\1별", text)
    text = FIRST_KO.sub("처음", text)
    text = ENGLISH_UNIT_KO.sub(lambda m: m.group(1) + ENGLISH_UNIT_WORDS_KO[m.group(2)], text)
    text = COUNTED_FAILURE_KO.sub(r"\1 \3 \2", text)  # "로그인 5번 이상 실패": failed logins, 5 or more
    return ONE_DAY.sub("1일", text)


def _native_number(match: re.Match[str]) -> str:
    tens, units, counter = match.group(1), match.group(2), match.group(3)
    if not tens and not units:
        return match.group(0)
    return f"{KOREAN_TENS.get(tens or '', 0) + KOREAN_NUMBERS.get(units or '', 0)}{counter}"


def _sino_number(match: re.Match[str]) -> str:
    hundreds, tens, units, counter = match.groups()
    if not hundreds and not tens:
        return match.group(0)  # "이일", "오분": a lone digit is too often a word of its own

    def place(written: str | None, unit: str) -> int:
        return 0 if not written else SINO_DIGITS.get(written.removesuffix(unit), 1)

    return f"{place(hundreds, '백') * 100 + place(tens, '십') * 10 + SINO_DIGITS.get(units or '', 0)}{counter}"


def _unit(written: str) -> str:
    """ "min" → "minute", "hr" → "hour" (after "per", one unit)."""
    return {"min": "minute", "hr": "hour"}.get(written, written)


def _word(match: re.Match[str]) -> str:
    word = match.group(1)
    return WORDS.get(word, word)
