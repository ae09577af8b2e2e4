"""Words the planner understands, in English and Korean. Only words about logs and questions:
names of services, errors, paths and metadata values are never listed here — the planner
reads them from the data (``agent/schema.py``)."""

from __future__ import annotations

import functools
import re


def any_of(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE)


# ASCII word boundaries that also hold next to Hangul (Korean particles attach to words).
WORD_START = r"(?<![a-z0-9_])"
WORD_END = r"(?![a-z0-9_])"
# Boundaries of a word that is not part of a hyphenated name ("worker", not "inventory-worker").
NAME_START = r"(?<![a-z0-9_\-])"
NAME_END = r"(?![a-z0-9_\-])"

TIME_UNITS = {
    "minute": "minute",
    "minutes": "minute",
    "min": "minute",
    "mins": "minute",
    "m": "minute",
    "hour": "hour",
    "hours": "hour",
    "hr": "hour",
    "hrs": "hour",
    "h": "hour",
    "day": "day",
    "days": "day",
    "d": "day",
    "week": "week",
    "weeks": "week",
    "w": "week",
    "분": "minute",
    "시간": "hour",
    "일": "day",
    "주": "week",
    "주일": "week",
}
NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "sixty": 60,
    "ninety": 90,
    "한": 1,
    "두": 2,
    "세": 3,
    "네": 4,
}

LAST_N = any_of(
    # "this hour" beside "the previous hour": the last 60 minutes, as "the last hour" is
    rf"{WORD_START}this\s+(?P<tunit>hour)(?=.*\b(?:previous|prior|prev|preceding|last|before)\s+(?:one\s+)?hour\b)",
    rf"{WORD_START}(?:in|over|during|within|for)?\s*(?:the\s+)?(?:last|past|previous|recent)\s+"
    rf"(?P<n>\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|sixty|ninety)?\s*"
    rf"(?P<unit>minutes?|mins?|hours?|hrs?|days?|weeks?){WORD_END}",
    rf"{WORD_START}(?:in|over|during|within|for)?\s*(?:the\s+)?(?:last|past|previous|recent)\s+(?P<sn>\d+)(?P<sunit>[mhdw]){WORD_END}",
    r"(?:최근|지난|과거)\s*(?P<kn>\d+|한|두|세|네)?\s*(?P<kunit>분|시간|일|주일|주(?!말)|minutes?|hours?|days?|weeks?)(?:\s*(?:간|동안|사이|안에|이내|내))?",
    r"(?<![\d.])(?P<xn>\d+|한|두|세|네)\s*(?P<xunit>분|시간|일|주일|주)\s*(?:치|동안|간|사이|내|안에|이내|동안에)",
    rf"(?:,\s*|^|\(\s*|{WORD_START}(?:in|over|during|within|for)\s+)(?:the\s+)?(?P<bn>\d+)\s*"
    rf"(?P<bunit>minutes?|mins?|hours?|hrs?|days?|weeks?){WORD_END}"
    rf"(?!\s*(?:ago|before|earlier|buckets?|bins?|intervals?|windows?|increments?|chunks?|slots?))",
    r"(?<![\d.가-힣])(?P<yn>\d+|한|두|세|네)\s*(?P<yunit>분|시간|일|주)(?=\s|$|[,?.)])(?!\s*(?:단위|간격|마다|별|전|넘|이상|초과))",
    r"(?<=\s)(?P<en>\d+)\s*(?P<eunit>minutes?|mins?|hours?|hrs?|days?|weeks?)(?=\s*[?.!]*\s*$)",
    r"\(\s*(?P<pn>\d+)\s*(?P<punit>분|시간|일|주)\s*\)",
    r"(?P<wn>\d+)\s*(?P<wunit>분|시간|일|주)\s*전(?=(?:엔|에는|까지는?|까진)\s*(?:한\s*번도\s*)?없)",
    r"(?:(?<=\s)|^)(?P<zn>\d+)\s+(?P<zunit>minutes?|hours?|days?|weeks?)(?=\s|$|[,?.):]|[가-힣])"
    r"(?!\s*(?:ago|before|earlier|later|after|buckets?|bins?|intervals?|windows?|전|후|단위|간격|마다|별|씩))",
)
# "since 3 hours ago", "since the deploy 3h ago": the last 3 hours (the question says when)
SINCE_AGO = any_of(
    rf"{WORD_START}since\s+(?:the\s+)?(?:(?:deploy(?:ment)?|release|rollout)\s+)?(?:about\s+)?(?P<n>\d+|an?|one|two|three)\s*"
    rf"(?P<unit>minutes?|mins?|hours?|hrs?|days?|weeks?)\s+ago{WORD_END}",
    r"(?P<kn>\d+|한|두|세)\s*(?P<kunit>분|시간|일|주)\s*전\s*(?:부터|이후)",
)
TODAY = any_of(
    rf"{WORD_START}today{WORD_END}",
    r"오늘",
    r"금일",
    r"당일",
    # since midnight is since the day began (UTC, or LOGLENS_TIMEZONE)
    rf"{WORD_START}(?:since|after|from)\s+(?:(?:last|today'?s?)\s+)?midnight{WORD_END}",
    r"(?:오늘\s*)?자정\s*(?:이후로?|부터|넘어서|지나서)",
)
UTC_WORD = r"(?:\s+(?:utc|gmt|z))?"
SINCE_YESTERDAY = any_of(
    rf"{WORD_START}(?:since|from)\s+yesterday(?:'?s)?(?:\s+(?:at\s+)?(?:midnight|00:00|0:00|start|morning))?{UTC_WORD}"
    rf"(?<![a-z]\sfrom\syesterday)(?=\s+(?:until|till|to)\s+now|\s*[?.,!]|\s*$|\s)",
    # "since midnight UTC yesterday", "since the start of yesterday"
    rf"{WORD_START}(?:since|from)\s+(?:midnight|00:00|0:00|the\s+start\s+of(?:\s+the\s+day)?){UTC_WORD}\s+"
    rf"(?:of\s+)?yesterday{WORD_END}",
    # "yesterday + today so far", "yesterday plus today": the two days together
    rf"{WORD_START}yesterday\s*(?:\+|plus|and\s+today\s+together|through)\s*(?:today)?(?:\s+so\s+far)?{WORD_END}",
    r"어제\s*(?:자정|0시|00시)?\s*부터",
)
YESTERDAY = any_of(
    # "the full UTC day yesterday", "all of yesterday": the whole day, as yesterday is
    rf"{WORD_START}(?:(?:the\s+)?(?:full|whole|entire)(?:\s+(?:utc|calendar))?\s+day(?:\s+of)?\s+|all\s+(?:of\s+)?)yesterday{WORD_END}",
    rf"{WORD_START}yesterday\s*\((?:the\s+)?(?:full|whole|entire)(?:\s+(?:utc|calendar))?\s+day\){WORD_END}",
    rf"{WORD_START}(?:yesterday|last\s+night){WORD_END}",
    r"어제(?!\s*까지)(?:\s*하루)?",
    r"전일|전날",
    r"어젯(?=\s*밤)",
)
DAY_BEFORE_YESTERDAY = any_of(
    rf"{WORD_START}(?:the\s+)?day\s+before\s+yesterday{WORD_END}", r"그저께|그제|엊그제|그끄저께(?!\s*까지)"
)
THIS_WEEK = any_of(
    rf"{WORD_START}(?:since\s+the\s+start\s+of\s+(?:the|this)\s+week|so\s+far\s+this\s+week|this\s+week){WORD_END}",
    rf"\(?\s*{WORD_START}since\s+monday{WORD_END}\s*\)?",
    r"이번\s*주",
    r"금주",
)
LAST_WEEK = any_of(rf"{WORD_START}last\s+week{WORD_END}", r"지난\s*주(?!일|말)(?!\s*\d)", r"전주(?!\s*\d)")

# "error types", "error rate", "에러 유형", "에러율" name a dimension or a measure, not a filter
NOT_A_FILTER = r"(?![-\s]*(?:types?|kinds?|classes|names|rates?|ratios?|percentages?|유형|종류|타입|율|률|비율))"
ERROR_WORDS = any_of(
    rf"(?<!kinds\sof\s)(?<!types\sof\s)(?<!kind\sof\s)(?<!type\sof\s){WORD_START}errors?{WORD_END}{NOT_A_FILTER}",
    rf"{WORD_START}erroring{WORD_END}",
    rf"{WORD_START}exceptions?{WORD_END}{NOT_A_FILTER}",
    rf"{WORD_START}failures?{WORD_END}",
    rf"{WORD_START}failed{WORD_END}",
    rf"{WORD_START}failing{WORD_END}",
    rf"{WORD_START}crash(?:es|ed)?{WORD_END}",
    rf"{WORD_START}(?:issues|problems){WORD_END}",
    rf"에러{NOT_A_FILTER}",
    rf"오류{NOT_A_FILTER}",
    r"실패(?!\s*율)",
    r"예외",
)
PATH_NOUN_AFTER = re.compile(
    r"\s*(?:endpoints?|paths?|routes?|urls?|pages?|api)(?![a-z0-9_])|\s*(?:엔드포인트|경로|페이지)"
)
# "ERROR/FATAL only", "errors and fatals": the two error levels, as "errors" says
ERROR_AND_FATAL = any_of(
    rf"{WORD_START}(?:errors?\s*(?:/|\+|&|,|and|or)\s*fatals?|fatals?\s*(?:/|\+|&|,|and|or)\s*errors?)"
    rf"(?:\s+(?:levels?|only))?{WORD_END}"
)
LEVEL_NAMES = {
    "trace": "TRACE",
    "debug": "DEBUG",
    "info": "INFO",
    "warn": "WARN",
    "warning": "WARN",
    "warnings": "WARN",
    "warns": "WARN",
    "error": "ERROR",
    "errors": "ERROR",
    "err": "ERROR",
    "errs": "ERROR",
    "fatal": "FATAL",
    "fatals": "FATAL",
    "critical": "FATAL",
    "경고": "WARN",
    "디버그": "DEBUG",
    "치명": "FATAL",
    "인포": "INFO",
}
EXPLICIT_LEVEL = re.compile(
    rf"{WORD_START}(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL){WORD_END}"
)  # upper case in the text
LEVEL_MENTION = any_of(
    rf"{WORD_START}(?:level|severity)\s+(?P<a>trace|debug|info|warn|warning|error|fatal){WORD_END}",
    rf"{WORD_START}(?P<b>trace|debug|info|warn|warning|error|fatal)\s+(?:level|severity){WORD_END}",
    rf"{WORD_START}(?P<e>trace|debug|info|warn|warning|fatal)\s+(?:logs?|entries|lines|messages|counts?|events?|"
    rf"records?|rows){WORD_END}",
    rf"{WORD_START}(?P<c>warnings?){WORD_END}",
    rf"{WORD_START}(?P<f>fatal|fatals|critical|debug)(?:[-\s]level)?{WORD_END}",
    # "staging warn today", "warns per hour"; not "warn me when…", a request to be told
    rf"{WORD_START}(?P<g>warns?){WORD_END}(?!\s+(?:me|us|you|them|if|when|whenever|the\s+team))",
    r"(?P<d>경고|디버그|치명|인포)(?:적인|적)?",
)

COUNT = any_of(
    rf"{WORD_START}how\s+many{WORD_END}",
    rf"{WORD_START}number\s+of{WORD_END}",
    rf"{WORD_START}counts?{WORD_END}",
    rf"{WORD_START}total{WORD_END}",
    rf"{WORD_START}volume{WORD_END}",
    r"몇\s*(?:건|개|번|회|명|가지|종류|곳|군데|대)",
    r"건수",
    r"개수",
    r"합계|총합",
    # not "주실 수 있나요" (could you); "IP 수를 알려줘" with its particle
    r"(?<![가-힣])(?<!(?:실|줄|할|볼|을) )수(?:를|가|는|도|만|랑|와)?(?![가-힣])(?!\s*(?:있|없))",
    r"횟수",
    r"카운트",
    r"요청량|호출량|트래픽",
    rf"{WORD_START}how\s+(?:often|frequently){WORD_END}",
    r"얼마나",
    r"세어|세\s*줘|세\s*봐|세\s*주세요",
)
AVERAGE = any_of(rf"{WORD_START}(?:average[sd]?|averaging|avg|mean){WORD_END}", r"평균")
# "the lowest error count", "lowest p95", "max number of errors": an order of what follows, not
# the minimum or maximum of a duration
NOT_OF_A_DURATION = (
    r"(?!\s+(?:[\w/-]+\s+){0,2}?(?:counts?|number|rates?|share|volume|total|p\d\d|percentiles?|median|"
    r"average|avg|mean|errors?|logs?|requests?|traffic|hits|calls|first|on\s+top)\b)"
)
MAXIMUM = any_of(
    rf"{WORD_START}(?:max|maximum){WORD_END}{NOT_OF_A_DURATION}",
    rf"{WORD_START}(?:peak|longest|worst[-\s]?case){WORD_END}",
    r"최대",
    r"가장\s*긴",
)
MINIMUM = any_of(
    rf"(?<!\d-)(?<!\d\s){WORD_START}(?:min|minimum|lowest){WORD_END}{NOT_OF_A_DURATION}",
    rf"(?<!\d-)(?<!\d\s){WORD_START}shortest{WORD_END}",
    r"최소",
    r"최저",
)
PERCENTILE = any_of(
    rf"{WORD_START}p(?P<p>50|75|90|95|99)s?{WORD_END}",
    rf"{WORD_START}(?P<q>50|75|90|95|99)(?:th)?\s*percentile{WORD_END}",
    rf"{WORD_START}(?P<q2>50|75|90|95|99)th\s*(?:percent|pct|%ile|perc){WORD_END}",
    rf"{WORD_START}(?P<median>median){WORD_END}",
    r"(?P<kmedian>중앙값|중간값)",
    r"(?P<kp>50|75|90|95|99)\s*(?:퍼센타일|백분위)",
)
# "is payment-api healthy?": its error rate is the first thing to look at
HEALTH = any_of(rf"{WORD_START}(?:healthy|health|doing\s+ok|okay)\b", r"(?:괜찮|정상이|건강)")
ERROR_RATE = any_of(
    rf"{WORD_START}(?:error|err|failure)\s+(?:rates?|ratios?|percentages?|percent){WORD_END}",
    rf"{WORD_START}(?:error|failure)\s*%",
    rf"{WORD_START}(?:percent(?:age)?|share|fraction|proportion)\s+of\s+(?:\w+\s+){{0,2}}(?:failed|failing|errored|were\s+errors)",
    rf"{WORD_START}(?:percent(?:age)?|share|fraction|proportion)\s+of\s+(?:\w+\s+)?(?:are|is|were|was)\s+errors?{WORD_END}",
    r"(?:에러|오류|실패)\s*(?:발생)?\s*(?:율|비율|률)",
    # "error share among frontend logs from Safari": what is said after "among" is the base
    rf"{WORD_START}(?:error|err|failure)\s+(?:share|fraction|proportion)(?=\s+(?:among|amongst|within)\s)",
)
# the error word of "에러 비율" where the errors are the base: errors said again, not a rate
ERROR_WORD_BEFORE_RATE = any_of(
    r"(?:에러|오류)(?=\s*(?:비율|비중|율|률))",
    rf"{WORD_START}errors?(?=\s+(?:rates?|ratios?|percentages?|shares?){WORD_END})",
)
# "전체 에러 중에 프로덕션 에러 비율", "of all errors, the share from prod": the errors are the base, so
# an "에러 비율" after it is a share among them, not an error rate
ERRORS_ARE_THE_BASE = any_of(
    r"(?:에러|오류)들?\s*(?:중에?서?|가운데)",
    rf"{WORD_START}(?:of|among|amongst)\s+(?:all\s+)?(?:the\s+)?(?:errors|error\s+logs){WORD_END}",
)
SHARE = any_of(
    r"몇\s*(?:%|퍼센트|프로|퍼)",
    r"(?<=에러\s)대비|(?<=에러)대비|(?<=로그\s)대비|(?<=요청\s)대비",
    r"점유율",
    rf"{WORD_START}in\s+(?:percent|%){WORD_END}",
    rf"{WORD_START}how\s+many\s+(?:percent|%)",
    rf"{WORD_START}(?:percentage|percent|share|proportion|ratio|fraction){WORD_END}",
    r"%",
    r"비율",
    r"비중",
    r"퍼센트",
)
MESSAGE_LENGTH = any_of(
    rf"{WORD_START}message\s+(?:length|size)s?{WORD_END}",
    rf"{WORD_START}(?:longest|biggest|largest)\s+messages{WORD_END}",
    r"메시지\s*(?:길이|용량|크기)",
)
FIRST_SEEN = any_of(
    rf"{WORD_START}first[\s_]+(?:seen|time|occurrence|occurred|appeared|happened){WORD_END}",
    rf"{WORD_START}first(?=\s*(?:and|\+|&|/)\s*last)",
    rf"{WORD_START}first(?=\s+(?:\w+\s+)?(?:time|timestamp|seen|occurrence)s?{WORD_END})",
    rf"{WORD_START}(?:start(?:ed)?|began|begin)(?:\s+(?:happening|appearing|showing\s+up))?{WORD_END}(?=.*\bwhen\b|)",
    rf"{WORD_START}since\s+when{WORD_END}",
    r"처음",
    r"언제부터",
    r"첫\s*(?:발생|등장|출현|시각|시간)",
    r"(?:나기|발생하기|생기기|뜨기|찍히기)?\s*시작(?:했|한|된|됐|하)[가-힣]*",
    r"최초",
)
LAST_SEEN = any_of(
    rf"{WORD_START}last[\s_]+(?:seen|time|occurrence|occurred|appeared|happened){WORD_END}",
    rf"(?:(?<=first\sand\s)|(?<=first\s\+\s)|(?<=first\s&\s)|(?<=first/)|(?<=first\+))last{WORD_END}",
    rf"{WORD_START}last(?=\s+(?:[a-z]+\s+)?(?:per|for\s+each|by)\s+(?:service|host|endpoint|path|error|user|region|version))",
    rf"{WORD_START}most\s+recently\s+(?:seen|happened){WORD_END}",
    rf"{WORD_START}(?:most\s+recent|latest|last)\s+(?:occurrences?|appearances?|sightings?|hits?){WORD_END}",
    rf"{WORD_START}when\s+did\s+the\s+last\b",
    rf"{WORD_START}last(?=\s+(?:\w+\s+)?(?:time|timestamp|seen|occurrence)s?{WORD_END})",
    rf"{WORD_START}(?:most\s+recent|latest)(?=\s+(?:\w+\s+)?(?:time|timestamp)s?{WORD_END})",
    r"(?:가장\s*)?최근\s*(?:발생\s*)?(?:시각|시간|일시|시점)",
    r"(?:가장|제일)\s*최근에?(?![^,?]*?\d+\s*(?:개|건|줄))(?=.*(?:시각|시간|일시|시점|언제))",
    r"마지막",
    r"언제까지",
)
DURATION = any_of(
    r"(?:(?<=avg\s)|(?<=average\s)|(?<=mean\s)|(?<=median\s))ms(?![a-z])",  # "avg ms per path"
    rf"{WORD_START}response\s+times?{WORD_END}",
    rf"{WORD_START}latenc(?:y|ies){WORD_END}",
    rf"{WORD_START}durations?{WORD_END}",
    rf"{WORD_START}slow(?:er|est)?{WORD_END}",
    rf"{WORD_START}took{WORD_END}",
    rf"{WORD_START}elapsed{WORD_END}",
    rf"{WORD_START}request\s+times?{WORD_END}",
    r"응답\s*시간",
    r"지연\s*시간",
    r"지연",
    r"소요\s*시간",
    r"처리\s*시간",
    r"느린",
    r"느려",
    r"레이턴시",
)
SLOWEST_WORD = any_of(rf"{WORD_START}slowest{WORD_END}", r"가장\s*느린")
# Duration words that ask for the fastest first.
FAST = any_of(rf"{WORD_START}fast(?:er|est)?{WORD_END}", rf"{WORD_START}quickest{WORD_END}", r"빠른", r"빨리")
DISTINCT = any_of(
    rf"{WORD_START}(?:distinct|unique|different)\b", r"고유", r"서로\s*다른", r"중복\s*(?:없|제외|빼고)"
)

TOP_N = any_of(
    rf"{WORD_START}top[\s-]+(?P<n>\d+){WORD_END}",
    rf"{WORD_START}(?P<s>\d+)(?=\s+(?:slowest|fastest|noisiest|busiest|worst|best|most|least|quietest|fewest)\b)",
    # "bottom 3", "quietest 3": the number, the word left for LEAST (not "lowest": of what?)
    r"(?:(?<=bottom\s)|(?<=bottom-)|(?<=quietest\s)|(?<=fewest\s))(?P<z>\d+)(?=\s|$|[?,.])",
    r"(?:(?<=busiest\s)|(?<=noisiest\s)|(?<=slowest\s)|(?<=worst\s)|(?<=biggest\s)|(?<=largest\s))(?P<b>\d+)(?=\s)",
    r"(?<=which\s)(?P<w>\d+)(?=\s)",
    rf"{WORD_START}(?P<m>\d+)\s+(?:biggest|largest){WORD_END}",
    r"상위\s*(?P<k>\d+)(?:\s*(?:개|위|곳|명|가지|건))?",
    r"(?P<j>\d+)\s*(?:개|위|명|곳)\s*(?:까지)?",
    r"(?P<g>\d+)\s*등(?![가-힣])",
    # "5 users w/ most failures": the number of groups before the noun that is ranked
    rf"{WORD_START}(?P<u>\d+)(?=\s+(?:users?|services?|ips?|hosts?|endpoints?|paths?|pages?|sessions?|versions?)\s+"
    rf"(?:with|w/|by|having)\s+(?:the\s+)?most\b)",
)
MOST = any_of(
    rf"{WORD_START}(?:the\s+)?most{WORD_END}",
    rf"{WORD_START}top(?!\s*\d){WORD_END}(?!\s+(?:of|level))",
    rf"{WORD_START}(?:biggest|largest|highest|busiest|noisiest|worst){WORD_END}",
    rf"{WORD_START}slowest{WORD_END}",
    r"가장\s*(?:많|큰|높|느린|오래|자주)",
    r"제일\s*(?:많|큰|높|느린)",
    r"최다",
)
# "가장 느린 엔드포인트": the adjective may have been read as the measure already
MOST_BARE = any_of(r"가장", r"제일")
LEAST = any_of(
    rf"{WORD_START}(?:the\s+)?(?:least|fewest){WORD_END}",
    rf"{WORD_START}(?:lowest|smallest|fastest|bottom|quietest){WORD_END}",
    r"가장\s*(?:적|작|낮|빠른)",
)
RECENT_ROWS = any_of(
    rf"(?<![\d.]){WORD_START}(?:the\s+)?(?P<n>\d+)\s+(?:most\s+recent|latest|newest|last){WORD_END}",
    rf"{WORD_START}(?:most\s+recent|latest|newest|last)\s+(?P<m>\d+){WORD_END}",
    rf"{WORD_START}recent\s+(?P<r>\d+){WORD_END}",
    r"(?:최근|최신)\s*(?P<k>\d+)\s*(?:개|건|줄)",
    r"마지막\s*(?P<j>\d+)\s*(?:개|건)",
)
# "최근 에러 10개": the recent word and the count with the subject between them
RECENT_WORD_KO = re.compile(
    r"(?:가장\s*|제일\s*)?최근(?:\s*것부터|\s*순(?:으로)?)?|최신\s*순(?:으로)?|최신|(?:가장\s*|제일\s*)마지막(?:에|으로)?"
)
COUNTED_KO = re.compile(r"(?P<n>\d+)\s*(?:개|건|줄)(?!\s*(?:이상|넘|초과|미만|이하|보다))")
# a duration asked for in seconds: "in seconds", "how many seconds", "몇 초", "초 단위로"
IN_SECONDS = any_of(
    rf"{WORD_START}(?:in|as)\s+(?:whole\s+)?(?:seconds|secs|sec|s){WORD_END}(?:\s+please|\s+pls)?",
    rf"(?:,\s*|\b)(?:not|instead\s+of)\s+(?:ms|millis(?:econds)?){WORD_END}",
    rf"{WORD_START}how\s+many\s+seconds{WORD_END}",
    r"\(\s*(?:in\s+)?(?:sec|secs|seconds|s)\s*\)",
    rf"{WORD_START}give\s+it\s+in\s+seconds{WORD_END}",
    r"몇\s*초",
    r"초\s*단위(?:로)?",
    r"(?:단위는\s*)?초로",
)
# "the slowest requests": the requests themselves, slowest first, not an average
ROWS_SLOWEST_NOUN = rf"(?:requests|calls|responses|operations|queries|transactions){WORD_END}"
SLOWEST_ROWS = any_of(
    rf"{WORD_START}(?:the\s+)?(?:top\s+)?(?:(?P<p>\d+)\s+)?slowest\s+(?:(?P<n>\d+)\s+)?{ROWS_SLOWEST_NOUN}",
    # a path or a name between ("the 5 slowest /api/v1/search requests"): the noun after it is taken too
    rf"{WORD_START}(?:the\s+)?(?:top\s+)?(?:(?P<p2>\d+)\s+)?slowest(?=\s+[\w/.\-]+\s+(?P<noun>{ROWS_SLOWEST_NOUN}))",
    r"가장\s*느(?:린|렸던)\s*(?:요청|호출|응답)(?:\s*(?P<k>\d+)\s*(?:개|건))?",
)
# "what went wrong in payment-api": its errors, by type
WENT_WRONG = any_of(
    rf"{WORD_START}what\s+went\s+wrong{WORD_END}",
    rf"{WORD_START}what(?:'s|\s+is|\s+was|\s+are)\s+(?:wrong|broken|failing|breaking|going\s+wrong|erroring){WORD_END}",
    rf"{WORD_START}any\s+(?:problems|issues){WORD_END}",
    r"(?:무슨|어떤|뭐가)\s*문제",
    r"뭐가\s*잘못",
)
SHOW_ROWS = any_of(
    rf"{WORD_START}what(?:'s|\s+has|\s+was|\s+got)\s+(?:been\s+)?logged{WORD_END}",
    rf"{WORD_START}(?:show|list|find|display|give|get|fetch|search)\b(?!.*\b(?:count|number|how many)\b)",
    r"(?:보여|찾아|알려|목록|리스트|조회)",
)
ROW_NOUNS = any_of(
    rf"{WORD_START}(?:logs?|messages?|entries|lines|rows|events|records|stack\s*traces?|activity|activities|trail){WORD_END}",
    r"로그",
    r"메시지",
    r"기록",
    r"활동|내역|이력",
)
STACK_TRACE = any_of(
    rf"{WORD_START}stack\s*-?\s*traces?{WORD_END}", rf"{WORD_START}tracebacks?{WORD_END}", r"스택\s*(?:트레이스)?"
)
# A change between two periods: beyond one plan, so left to the model when there is one.
CHANGE = any_of(
    rf"{WORD_START}(?:increase[sd]?|decrease[sd]?|went\s+up|go(?:ne)?\s+up|went\s+down|go(?:ne)?\s+down|spike[sd]?|"
    rf"regress(?:ed|ion)?|since\s+the\s+(?:last\s+)?deploy|after\s+the\s+(?:last\s+)?deploy){WORD_END}",
    r"대비",
    r"증가",
    r"감소",
    r"늘었",
    r"줄었",
    r"급증",
    r"배포\s*(?:후|이후|전)",
)
COMMON = any_of(
    rf"{WORD_START}(?:common|frequent|repeated|recurring){WORD_END}",
    r"흔한",
    r"자주",
    r"반복",
    r"(?:발생\s*)?빈도(?:\s*(?:가|이)?\s*높은)?",
)
LIST_WORDS = any_of(
    rf"{WORD_START}list(?:\s+of)?{WORD_END}", r"목록", r"리스트", r"누구", rf"{WORD_START}who{WORD_END}"
)
COMPARE = any_of(
    rf"{WORD_START}(?:compare[sd]?|comparing|comparison|compared\s+(?:to|with)){WORD_END}",
    rf"{WORD_START}(?:side\s+by\s+side|next\s+to|against|both|each\s+other|higher|lower|worse|better){WORD_END}",
    r"나란히|둘\s*다|각각|더\s*(?:많|높|적|낮)[가-힣]*|많아|높아",
    rf"{WORD_START}between{WORD_END}",
    rf"{WORD_START}(?:vs\.?|versus|v\.s\.){WORD_END}",
    r"비교[가-힣]*|차이|달라[가-힣]*|다른가[가-힣]*|전후",
    rf"{WORD_START}(?:more|fewer|less){WORD_END}",
    rf"{WORD_START}versus{WORD_END}",
    rf"{WORD_START}vs\.?{WORD_END}",
    r"비교",
    r"대비",
)
SERIES = any_of(
    rf"{WORD_START}(?:moved|trended|evolved|developed)(?=.*\b(?:steps?|buckets?|per|each|every|hourly|daily)\b){WORD_END}",
    rf"{WORD_START}over\s+time{WORD_END}",
    rf"{WORD_START}trend{WORD_END}",
    rf"{WORD_START}timeline{WORD_END}",
    rf"{WORD_START}histogram{WORD_END}",
    r"추이",
    r"추세",
    r"변화",
    r"흐름",
)
BUCKET_NOUNS = r"(?:\s*(?:buckets?|bins?|intervals?|windows?|increments?|chunks?|slots?|steps?|granularity))"
# "per 5 minutes", "5-minute buckets", "in 10 min bins", "2시간 단위": a bucket of any size
BUCKET_N = any_of(
    rf"{WORD_START}(?:every|per|each|by|into|(?=in\s+\d+\s*-?\s*[a-z]+{BUCKET_NOUNS})in)\s+(?P<n>\d+)\s*-?\s*"
    rf"(?P<u>minutes?|mins?|m|hours?|hrs?|h){WORD_END}{BUCKET_NOUNS}?",
    rf"{WORD_START}(?P<an>\d+)\s*-\s*(?P<au>minutes?|mins?|m|hours?|hrs?|h){WORD_END}{BUCKET_NOUNS}?",
    rf"{WORD_START}(?P<bn>\d+)\s*(?P<bu>minutes?|mins?|m|hours?|hrs?|h){BUCKET_NOUNS}{WORD_END}",
    r"(?<![\d.])(?P<kn>\d+)\s*(?P<ku>분|시간)\s*(?:단위|간격|마다|별|씩|버킷|구간|bucket)(?:로|으로)?",
    rf"{WORD_START}(?P<cn>\d+)\s*(?P<cu>minutes?|mins?|hours?|hrs?){WORD_END}"
    rf"(?=\s+(?:[\w\-]+\s+){{0,2}}(?:histogram|trend|series|timeline|chart|graph|buckets?){WORD_END})",
)
BUCKETS = [
    (
        any_of(
            rf"{WORD_START}(?:per|each|every|by\s+the)\s+minute{WORD_END}",
            rf"{WORD_START}by\s+minute{WORD_END}",
            rf"{WORD_START}minutely{WORD_END}",
            rf"{WORD_START}minute[\s-]+by[\s-]+minute{WORD_END}",
            r"분(?:별|당|\s*단위)",
        ),
        "minute",
    ),
    (
        any_of(
            rf"{WORD_START}hourly{WORD_END}",
            rf"{WORD_START}hour[\s-]+by[\s-]+hour{WORD_END}",
            rf"{WORD_START}(?:per|each|every|by\s+the|by)\s+hour{WORD_END}",
            r"시간(?:대)?별",
            r"시간\s*단위",
            r"매\s*시간",
        ),
        "hour",
    ),
    (
        any_of(
            rf"{WORD_START}daily{WORD_END}",
            rf"{WORD_START}day[\s-]+by[\s-]+day{WORD_END}",
            rf"{WORD_START}(?:per|each|every|by\s+the|by)\s+day{WORD_END}",
            r"일별",
            r"하루\s*별",
            r"날짜별",
            r"일자별",
            r"하루\s*단위",
            r"매일",
        ),
        "day",
    ),
    (
        any_of(
            rf"{WORD_START}weekly{WORD_END}",
            rf"{WORD_START}(?:per|each|every|by\s+the|by)\s+week{WORD_END}",
            r"주별",
            r"주\s*단위",
        ),
        "week",
    ),
]

# Dimensions: words that name a column. Metadata keys are found from the data's own key names.
# what a service does to errors, not a user ("who's throwing the most errors")
LOGGED_NOUNS = r"(?:logs?|errors?|fatals?|warn\w*|lines|entries|messages|exceptions)\b"
SERVICE_VERBS = (
    r"(?:throw|threw|thrown|throwing|logg(?!(?:ed|ing)?\s+(?:in|on)\b)"
    r"|emit|spit|rais|caus|produc|generat|spam|send|sent|report|erroring|crash|blow|blew)"
)
DIMENSIONS: list[tuple[re.Pattern[str], str]] = [
    (
        any_of(
            rf"{WORD_START}error[-\s]+(?:types?|kinds?|classes|names)(?:[-\s]+wise)?{WORD_END}",
            rf"{WORD_START}error_types?{WORD_END}",
            rf"(?:(?<=by\s)|(?<=per\s))types?{WORD_END}",
            rf"(?<=each\s)type{WORD_END}",
            rf"{WORD_START}(?:kinds?|types?)\s+of\s+errors?{WORD_END}",
            rf"{WORD_START}exception\s+(?:types?|classes){WORD_END}",
            r"(?:에러|오류|예외)\s*(?:유형|종류|타입|클래스)",
        ),
        "error_type",
    ),
    (
        any_of(
            rf"{WORD_START}services?{WORD_END}",
            rf"{WORD_START}apps?{WORD_END}(?!\s*(?:versions?))",
            r"서비스",
            # "who's throwing the most errors": what logs errors is a service, not a user
            rf"{WORD_START}who(?:'s|\s+is|\s+was)?(?=\s+{SERVICE_VERBS})",
        ),
        "service",
    ),
    (
        any_of(
            rf"{WORD_START}(?:api\s+)?endpoints?{WORD_END}",
            rf"{WORD_START}routes?{WORD_END}",
            rf"{WORD_START}paths?{WORD_END}",
            rf"{WORD_START}urls?{WORD_END}",
            rf"{WORD_START}pages?{WORD_END}",
            r"엔드포인트",
            r"경로",
            r"페이지",
            r"API",
        ),
        "path",
    ),
    (
        any_of(
            rf"{WORD_START}versions?{WORD_END}",
            rf"{WORD_START}releases?{WORD_END}",
            rf"{WORD_START}builds?{WORD_END}",
            rf"{WORD_START}(?:deploys|deployments|rollouts){WORD_END}",
            r"버전",
        ),
        "service_version",
    ),
    (any_of(rf"{WORD_START}environments?{WORD_END}", rf"{WORD_START}envs?{WORD_END}", r"환경"), "environment"),
    (
        any_of(
            rf"{WORD_START}(?:http\s+)?methods?{WORD_END}",
            rf"{WORD_START}(?:http\s+)?verbs?{WORD_END}",
            r"(?:http\s*)?(?:메서드|메소드)",
        ),
        "method",
    ),
    (
        any_of(
            rf"{WORD_START}(?:log\s+)?levels?{WORD_END}",
            rf"{WORD_START}severit(?:y|ies){WORD_END}",
            r"레벨",
            r"심각도",
        ),
        "level",
    ),
    (
        any_of(
            rf"{WORD_START}(?:log\s+)?(?:types?|sources?|kinds?)\s+of\s+logs?{WORD_END}",
            rf"{WORD_START}log[\s_]+types?{WORD_END}",
            r"로그\s*(?:유형|타입|종류)",
        ),
        "log_type",
    ),
    (
        any_of(
            rf"{WORD_START}users?(?:[_\s]?ids?)?{WORD_END}",
            rf"{WORD_START}customers?{WORD_END}",
            rf"{WORD_START}accounts?{WORD_END}(?!\s+for)",
            rf"{WORD_START}(?:who|whom){WORD_END}(?!(?:'s|\s+is|\s+was)?\s+{SERVICE_VERBS})"
            # "who has the most FATAL logs": a service or a user, as likely
            rf"(?!\s+(?:has|had|have)\s+(?:the\s+)?(?:most|least|fewest)\s+(?:[\w-]+\s+)?{LOGGED_NOUNS})"
            rf"(?=.*\b(?:times|more\s+than|at\s+least|most|least)\b|.*[>≥])",
            r"누가",
            r"계정",
            r"사용자",
            r"유저",
            r"고객",
            r"회원",
        ),
        "user_id",
    ),
    (any_of(rf"{WORD_START}sessions?{WORD_END}", r"세션"), "session_id"),
    (any_of(rf"{WORD_START}actions?{WORD_END}", r"액션", r"행동"), "action_type"),
    (any_of(rf"{WORD_START}functions?{WORD_END}", r"함수"), "function_name"),
    (any_of(rf"{WORD_START}(?:source\s+)?files?{WORD_END}", r"파일"), "file_path"),
    (any_of(rf"{WORD_START}(?<!stack\s)traces?(?:[_\s-]?ids?)?{WORD_END}", r"트레이스(?:\s*id)?"), "trace_id"),
    (
        any_of(
            rf"{WORD_START}(?:messages?|msgs?){WORD_END}", r"메시지"
        ),  # a grouping only beside COMMON ("the most common message")
        "message",
    ),
]
PER = any_of(
    r"(?:기준으로\s*)?(?:쪼개서|나눠서|나누어서|묶어서|그룹핑해서)",  # "service 랑 error_type 기준으로 쪼개서"
    rf"{WORD_START}(?:per|by|each|every|for\s+each|across|grouped\s+by|broken\s+down\s+by){WORD_END}",
    rf"{WORD_START}(?:split|divided|spread)\s+(?:between|among|across){WORD_END}",
    r"별(?:로|으로)?(?![가-힣])",
    r"마다",
    r"(?<![가-힣])각(?=\s*[가-힣a-z])",  # "각 서비스가 차지하는 퍼센트": each service
)
EVERY_ROW = re.compile(
    r"(?:every|each)\s+(?:single\s+)?(?:logs?|rows?|entry|entries|lines?|records?|events?|requests?)\b"
)
WHICH = any_of(rf"{WORD_START}(?:which|what|who){WORD_END}", r"어느", r"어떤", r"무슨", r"어디")

# Korean words for concepts whose names in the data are English (metadata keys and values).
KOREAN_TERMS = {
    "(?:페이지\\s*)?(?:로딩(?:\\s*(?:시간|속도|타임))?|로드\\s*(?:타임|시간))": "page load",
    "트레이스\\s*(?:아이디|id)": "trace id",
    "웹\\s*프론트엔드": "web-frontend",
    "모바일\\s*앱": "mobile-app",
    "브라우저": "browser",
    "디바이스": "device",
    "기기": "device",
    "장치": "device",
    "단말": "device",
    "모바일": "mobile",
    "데스크톱": "desktop",
    "데스크탑": "desktop",
    "태블릿": "tablet",
    "리전": "region",
    "지역": "region",
    "호스트": "host",
    "아이피": "ip",
    "상태\\s*코드": "status",
    "응답\\s*코드": "status",
    "운영": "production",
    "프로덕션": "production",
    "스테이징": "staging",
    "개발": "development",
    "테스트": "test",
    "로컬": "local",
    "크롬": "chrome",
    "사파리": "safari",
    "파이어폭스": "firefox",
    "엣지": "edge",
    "페이지\\s*로딩": "page load",
    "페이지\\s*로드": "page load",
    "로드": "load",
    "로딩": "load",
}

# Log kinds (log_type); "frontend" also names the web front-end service when there is one.
LOG_TYPES: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (
        any_of(
            rf"{NAME_START}client[-\s]?side{NAME_END}",
            rf"{NAME_START}web\s+and\s+mobile(?:\s+apps?)?{NAME_END}",
            rf"{NAME_START}mobile\s+and\s+web(?:\s+apps?)?{NAME_END}",
            r"클라이언트(?!\s*(?:ip|아이피))",  # a "클라이언트 IP" is an IP
            r"웹\s*(?:과|와|및)\s*모바일",
        ),
        ("FRONTEND", "MOBILE"),
    ),
    (
        any_of(
            rf"{NAME_START}(?:web\s+)?front[-\s]?end{NAME_END}",
            rf"{NAME_START}browser[-\s]side{NAME_END}",
            r"프론트\s*엔드",
            r"프론트",
            r"웹\s*프론트",
        ),
        ("FRONTEND",),
    ),
    (any_of(rf"{NAME_START}mobile\s+apps?{NAME_END}", r"모바일\s*앱"), ("MOBILE",)),
    (
        any_of(
            rf"{NAME_START}back[-\s]?end{NAME_END}",
            rf"{NAME_START}server[-\s]side{NAME_END}",
            r"백\s*엔드",
            r"서버(?!\s*(?:수|몇|별|마다))",
        ),
        ("BACKEND",),
    ),
    (
        any_of(rf"{NAME_START}workers?{NAME_END}", rf"{NAME_START}background\s+jobs?{NAME_END}", r"워커", r"배치"),
        ("WORKER",),
    ),
    (any_of(rf"{NAME_START}iot{NAME_END}", rf"{NAME_START}devices?\s+firmware{NAME_END}"), ("IOT",)),
]

LOGIN_FAILURE = any_of(
    rf"{WORD_START}failed\s+(?:logins?|log-?ins|sign-?ins|authentications?){WORD_END}",
    rf"{WORD_START}fail(?:ed|s|ing)?\s+to\s+(?:log\s*-?\s*in|sign\s*-?\s*in|authenticate){WORD_END}",
    rf"{WORD_START}fail(?:ed|s|ing)?\s+(?:logins?|log-?ins?|sign-?ins?){WORD_END}",
    rf"{WORD_START}failed-logins?{WORD_END}",
    rf"{WORD_START}(?:login|log-?in|sign-?in|auth(?:entication)?)\s+failures?{WORD_END}",
    rf"{WORD_START}(?:login|auth(?:entication)?)\s+(?:errors?|failed){WORD_END}",
    rf"{WORD_START}brute[-\s]?force{WORD_END}",
    rf"{WORD_START}(?:login|log-?in|sign-?in|auth(?:entication)?)\s+fail(?:s|ed|ing)?{WORD_END}",
    rf"{WORD_START}(?:login|log-?in|sign-?in|auth)\s*(?:실패|오류|에러|fail)",
    r"로그인\s*(?:실패|오류|에러|fail(?:ed|ure|s)?)",
    r"인증\s*(?:실패|오류|에러)",
    r"로그인\s*(?:을|에)?\s*실패",
)
SQL_INJECTION = any_of(
    rf"{WORD_START}sql\s*injection{WORD_END}", rf"{WORD_START}sqli{WORD_END}", r"SQL\s*인젝션", r"SQL\s*주입"
)
SQL_INJECTION_PATTERNS = ("or 1=1", "union select", "drop table")
MISSING = any_of(
    rf"{WORD_START}(?:missing|without|lacking|no|(?:do|does|did)(?:n'?t|\s+not)\s+have)\s+(?:an?\s+|a\s+|any\s+)?"
    rf"(?P<what>[a-z_ ]+?)(?:\s+at\s+all)?(?:\s|$|[,?.])",
    rf"{WORD_START}(?:where\s+)?(?P<what2>trace[_\s]?id|user[_\s]?id|session[_\s]?id|error[_\s]?type|path|message)\s+(?:is\s+)?(?:null|empty|missing|blank){WORD_END}",
    r"(?P<kwhat>[a-zA-Z_ ]+?)\s*(?:가|이)?\s*"
    r"(?:없는|비어\s*있는|누락된|빠진|비어있는|안\s*찍힌|안\s*들어간|null인)",
)
# "logs that have a trace id", "with a user_id", "trace_id 있는": the column is set
PRESENT = any_of(
    rf"{WORD_START}(?:have|has|having|had|with|carry(?:ing)?|carries|that\s+have|which\s+have)\s+(?:an?\s+|any\s+|the\s+)?"
    rf"(?P<what>trace[_\s]?id|user[_\s]?id|session[_\s]?id|span[_\s]?id|error[_\s]?type|stack[_\s]?trace)s?{WORD_END}",
    r"(?P<kwhat>trace[_\s]?id|user[_\s]?id|session[_\s]?id|span[_\s]?id|error[_\s]?type|stack[_\s]?trace)\s*(?:가|이)?\s*"
    r"(?:있는|찍힌|들어간|달린)",
)
SESSIONS_PER_USER = any_of(
    rf"{WORD_START}users?\s+(?:had|have|with|having)\s+more\s+than\s+(?P<n>\d+|one|two|three)\s+sessions?{WORD_END}",
    r"(?P<k>\d+|한|두)\s*개?\s*(?:이상|넘는|초과)의?\s*세션",
)

COUNT_NOUNS = (
    r"times|failures|errors?|attempts|occurrences|requests|logs|log\s+lines?|lines|logins|log-?ins|sign-?ins|"
    r"page\s*views|views|pages|calls|entries|events|hits|visits|sessions|warnings|exceptions|records|"
    r"responses|replies|[1-5](?:\d\d|xx)s?"
)
# "에러가 50개", "로그 100개": what a Korean number counts, said before it
_NOT_AFTER_COUNTED_KO = "".join(
    f"(?<!{noun}{particle}{space})"
    for noun in ("에러", "오류", "로그", "요청", "실패", "경고", "예외")
    for particle in ("", "가", "이")
    for space in ("", " ")
)
COUNT_THRESHOLD = any_of(
    rf"{WORD_START}(?:went|goes|go|got|were|was|are|is)\s+(?P<op3>over|above|more\s+than|past|beyond)\s+(?P<n3>\d+){WORD_END}"
    rf"(?!\s*(?:%|ms|s\b|seconds?|minutes?|hours?))",
    # (not "에러가 50개 초과인 서비스": the errors are counted, then)
    _NOT_AFTER_COUNTED_KO + r"(?P<kn3>\d+)\s*개\s*(?P<kop3>이상|넘는|초과)(?:의|인)?\s*"
    r"(?=(?P<knoun3>서비스|버전|사용자|유저|세션|아이피|ip|호스트|경로|엔드포인트))",
    rf"(?:{WORD_START}(?P<op>more\s+than|over|at\s+least|greater\s+than|above|exceeding)|(?P<sym>>=?|=>|≥))\s*"
    rf"(?P<n>\d+|one)(?P<plus>\+|\s+or\s+more)?(?=\s+(?:[\w\-]+\s+){{0,2}}?(?:(?P<noun>sessions?|users?|endpoints?|services?|paths?|pages?|"
    rf"versions?|service\s+versions?|ips?|hosts?|regions?|devices?|browsers?|error\s+types?)|{COUNT_NOUNS}){WORD_END})",
    rf"{WORD_START}(?P<many>multiple|several)(?=\s+(?:[\w\-]+\s+)?(?P<mnoun>versions|service[\s_]+versions?|ips|hosts|regions|"
    rf"devices|browsers|error\s+types|sessions|users|endpoints|services|paths|service_versions?){WORD_END})",
    rf"{WORD_START}(?P<qn>\d+)(?:\+|\s+or\s+more)(?=\s+(?:different\s+|distinct\s+)?(?P<qnoun>versions|"
    rf"service\s+versions|ips|hosts|regions|devices|browsers|error\s+types|sessions|users|endpoints|services|paths|pages)"
    rf"{WORD_END})",
    rf"{WORD_START}(?P<pn>\d+)(?:\+|\s+or\s+more)(?=\s+(?:\w+\s+)?(?:{COUNT_NOUNS}){WORD_END})",
    r"(?P<kn>\d+)\s*(?:번|회|건|개)\s*(?:을|를|이|가)?\s*(?P<kop>이상|넘게|넘는|넘|초과|보다\s*많)(?:\s*넘게)?",
    r"(?P<knoun>버전|서비스|사용자|유저|세션|아이피|ip|호스트|경로|엔드포인트|페이지|service\s+version)(?:이|가|은|는|을|를)?\s*"
    r"(?:(?P<kn2>\d+)\s*(?:개|명|곳|가지)\s*(?P<kop2>이상|넘게|넘는|넘|초과)|(?P<kmany>여러\s*개?|다수))",
    # "whose error count exceeded 50", "only those above 10", "에러 >30 서비스": a count's threshold
    rf"(?:(?<=count\s)|(?<=counts\s)|(?<=errors\s)|(?<=failures\s)|(?<=건수\s)|(?<=횟수\s))(?:is\s+|was\s+)?"
    rf"(?P<cop>exceeded|exceeds|exceeding|above|over|more\s+than|greater\s+than)\s*(?P<cn>\d+){WORD_END}"
    rf"(?!\s*(?:%|ms|s\b|seconds?|minutes?|hours?))",
    rf"{WORD_START}(?:only\s+)?(?:those|ones|the\s+ones)\s+(?P<top>above|over|with\s+more\s+than|exceeding)\s+"
    rf"(?P<tn>\d+){WORD_END}(?!\s*(?:%|ms|s\b))",
    r"(?P<bsym>>=?|≥)\s*(?P<bn>\d+)(?![\d.]|\s*(?:ms|s\b|초|분|%|시간|일|h\b|m\b|min|percent|pct|퍼센트|프로))",
)
DURATION_THRESHOLD = any_of(
    rf"{WORD_START}(?P<op>over|more\s+than|longer\s+than|slower\s+than|above|exceeding|at\s+least|greater\s+than|>=?)\s*"
    rf"(?P<n>\d+(?:\.\d+)?|an?|one)\s*(?P<unit>ms|milliseconds?|s|secs?|seconds?|minutes?|mins?){WORD_END}",
    r"(?P<kn>\d+(?:\.\d+)?)\s*(?P<kunit>초|ms|밀리초|분)\s*(?:을|를|이|가)?\s*(?P<kop>이상|넘|초과|넘게|보다)",
    # the column named, then a bare number of milliseconds: "duration_ms 5000 초과", "duration_ms > 5000"
    rf"{WORD_START}(?:duration_ms|duration|latency|소요\s*시간|응답\s*시간)\s*(?:이|가|은|는)?\s*"
    r"(?:(?P<dsym>>=?|over|above|exceeding|more\s+than|greater\s+than)\s*(?P<dn>\d+(?:\.\d+)?)(?![\d.]|\s*[a-z%초분])"
    r"|(?P<dn2>\d+(?:\.\d+)?)\s*(?:을|를|이|가)?\s*(?P<dop>이상|넘는|넘게|넘|초과|보다))",
)
# A number with no unit after a measure of durations ("median duration_ms > 60", "avg duration 100
# 넘는"): milliseconds, the unit durations are kept in; read only after such a measure.
BARE_MEASURE_THRESHOLD = any_of(
    rf"{WORD_START}(?P<op>over|above|exceeds?|exceeding|more\s+than|greater\s+than|higher\s+than|at\s+least|>=?)\s*"
    rf"(?P<n>\d+(?:\.\d+)?)(?!\s*(?:%|x\b|times|[.,]?\d|[a-z%]))",
    r"(?P<kn>\d+(?:\.\d+)?)\s*(?:을|를|이|가)?\s*(?P<kop>이상|넘는|넘게|넘|초과|보다\s*(?:큰|높은|느린))",
)
# An apostrophe inside a word ("what's", "payment-api's") opens or closes no quote.
QUOTED = re.compile(r"(?<![a-z0-9])[\"'‘’“”「」『』]([^\"'‘’“”「」『』]{1,200})[\"'‘’“”「」『』](?![a-z0-9])")
# the path named beside a text searched for: "whose path contains", "path에 … 들어간", "… in the path"
PATH_BEFORE_SEARCH = re.compile(
    r"(?P<path>paths?|urls?|경로|path에|url에)(?:\s*(?:에|에서|이|가))?\s*(?:that\s+|which\s+)?(?:contain(?:s|ing)?|matching|with)?\s*$"
)
PATH_AFTER_SEARCH = re.compile(
    r"\s*(?:in|inside)\s+(?:the\s+|their\s+)?(?:request\s+)?(?P<path>paths?|urls?)(?![a-z])"
)
# what SQL injection attempts carry, searched for as one text ("paths containing UNION SELECT")
SQL_PHRASE = r"union\s+(?:all\s+)?select|drop\s+table|or\s+1\s*=\s*1|select\s+\*|insert\s+into|delete\s+from"
CONTAINING = any_of(
    rf"{WORD_START}(?:contain(?:s|ing)?|with\s+the\s+(?:word|text|phrase)|mention(?:s|ing)?|including|matching)\s+"
    rf"(?P<word>{SQL_PHRASE}|[\w\-.:/]{{2,60}})",
    rf"(?P<kword>{SQL_PHRASE}|[a-z0-9_\-.:/]{{2,60}})\s*(?:이|가|라는|란)?\s*(?:말이\s*)?(?:들어간|포함된|포함한|들어있는|찍힌)",
    rf"{WORD_START}with\s+(?P<pword>{SQL_PHRASE})\s+in\s+(?:the\s+)?(?:request\s+)?paths?{WORD_END}",
    rf"(?P<qword>{SQL_PHRASE})\s+in\s+(?:the\s+)?(?:request\s+)?paths?{WORD_END}",
)
STATUS_CLASS = any_of(
    r"(?P<e>[1-5])(?:00|xx)\s*(?:번대|대)(?![가-힣])(?:\s*(?:http\s*)?(?:status\s*code|상태\s*코드|응답|에러|코드))?",
    # (not the status of "4xx status breakdown": the grouping's)
    rf"{WORD_START}(?:https?\s+)?(?:status\s+)?(?P<c>[1-5])xx"
    rf"(?:\s+(?:status(?:es|\s+codes?)?|codes?|responses?|errors?)(?!\s+(?:breakdown|split|distribution|mix)))?"
    rf"{WORD_END}",
    rf"{WORD_START}(?P<d>[1-5])00s{WORD_END}",
)
HTTP_STATUS = r"(?:10[0-3]|20[0-8]|226|30[0-8]|4[0-2]\d|431|451|50\d|51[01])"
# a status code after "and"/"or"/"never", or joined to another one: read only beside a code said with its word
BARE_STATUS = re.compile(
    rf"(?:(?<=and\s)|(?<=or\s)|(?<=,\s)|(?<=/)|(?<=never\s)|(?<=never\sa\s)|(?<=single\s)|(?<=\()|(?<=no\s)|(?<=ip\s중에\s)"
    rf"|(?<=\d\+)|(?<=\d\s\+\s)|(?<=\d랑\s)|(?<=\d이랑\s)|(?<=\d하고\s)|(?<=\d와\s)|(?<=\d과\s))"
    rf"({HTTP_STATUS})(?![\d.])|(?<![\d.])({HTTP_STATUS})(?=\)?\s*(?:인|응답|이|가|은|는|0\s*건))"
    rf"|(?<![\d.])({HTTP_STATUS})(?=\s*(?:and|or|,|/|&|\+|랑|이랑|하고|와|과)\s*\d{{3}})"
)
# a code left out beside a class ("4xx … excluding 401", "w/o the 401s"): planner/exclusions.py reads the marker
EXCLUDED_STATUS = re.compile(
    rf"(?:(?<=excluding\s)|(?<=except\s)|(?<=without\s)|(?<=ignoring\s)|(?<=ignore\s)|(?<=minus\s)|(?<=\sno\s)"
    rf"|(?<=excluding\sthe\s)|(?<=without\sthe\s)|(?<=ignore\sthe\s)|(?<=except\sthe\s))({HTTP_STATUS})(?=s?(?![\d.\w]))"
)
STATUS_CODE = any_of(
    rf"{WORD_START}(?:status|http|code|returned|responded|http_status|status_code)\s*(?:code\s*)?(?:가|이|=|:)?\s*"
    rf"(?P<n>{HTTP_STATUS}){WORD_END}",
    rf"{WORD_START}(?:got|get|gets|getting|received|receiving|returning|returns?|throwing|throws|hit|hitting|"
    rf"(?:come|comes|came|coming)\s+back(?:\s+(?:with|as))?|end(?:s|ed)?\s+(?:up\s+)?(?:with|in|as)|answered)\s+"
    rf"(?:an?\s+)?(?P<g>{HTTP_STATUS}){WORD_END}(?!\s*(?:\+|or\s+more))",
    rf"{WORD_START}(?P<m>{HTTP_STATUS})\s*(?:s|status(?:es|\s+codes?)?|errors?|responses?){WORD_END}",
    rf"(?P<k>{HTTP_STATUS})\s*(?:에러|응답|상태)",
    rf"{WORD_START}(?P<p>{HTTP_STATUS})(?=\s*(?:이|가|은|는)?\s*(?:%|비율|비중|퍼센트|몇\s*(?:%|퍼센트)|share|rate|ratio|counts?|total|number|건|개|몇))",
    rf"(?:응답|상태)\s*코드\s*(?:가\s*)?(?P<j>{HTTP_STATUS})",
)
# An HTTP method: in capitals anywhere ("DELETE requests"), or any case before what it qualifies.
HTTP_METHOD_CAPITALS = re.compile(r"(?<![A-Za-z])(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS)(?:s|'s)?(?![A-Za-z])")
HTTP_METHOD = any_of(
    rf"{WORD_START}(?P<m>get|post|put|delete|patch|head|options)\s*(?:requests?|calls?|methods?|요청|호출|메서드|메소드)"
)
# "trace id 4bf9…", "session s-1029", "user alice42": an id named by its kind (it has a digit).
NAMED_ID = any_of(
    rf"{WORD_START}(?P<kind>trace|session|user)(?:[\s_-]*id)?(?:\s+|\s*[:=#]\s*)(?P<v>(?=[\w\-@.]*\d)[\w\-@.]{{3,64}}){WORD_END}",
    r"(?P<kkind>트레이스|세션|사용자|유저)\s*(?:id|아이디)?\s*[:=#]?\s*(?P<kv>(?=[a-z0-9_\-@.]*\d)[a-z0-9_\-@.]{3,64})",
)
ID_KINDS = {"trace": "trace_id", "트레이스": "trace_id", "session": "session_id", "세션": "session_id"}
# "the checkout endpoint", "login 페이지": a word that names endpoints without being one.
PATH_WORD = any_of(
    rf"{WORD_START}(?P<w>[a-z][a-z0-9_\-]{{2,30}})\s+(?:endpoints?|routes?|pages?|apis?){WORD_END}",
    r"(?P<kw>[a-z][a-z0-9_\-]{2,30})\s*(?:엔드포인트|페이지|경로)",
)
NOT_PATH_WORDS = frozenset(
    [
        "the",
        "each",
        "every",
        "per",
        "which",
        "what",
        "whose",
        "slowest",
        "fastest",
        "slow",
        "fast",
        "slower",
        "faster",
        "busiest",
        "top",
        "most",
        "least",
        "all",
        "any",
        "api",
        "rest",
        "http",
        "web",
        "by",
        "for",
        "of",
        "that",
        "this",
        "those",
        "these",
        "and",
        "or",
        "median",
        "percentile",
        "load",
        "loading",
        "average",
        "avg",
        "mean",
        "max",
        "maximum",
        "min",
        "minimum",
        "total",
        "frontend",
        "backend",
        "front",
        "back",
        "error",
        "errors",
        "failing",
        "failed",
        "broken",
        "popular",
        "visited",
        "called",
        "used",
        "other",
        "different",
        "distinct",
        "unique",
        "same",
        "some",
        "many",
        "few",
        "single",
        "app",
        "mobile",
        "average",
        "avg",
        "total",
        "with",
        "from",
        "into",
        "over",
        "under",
        "their",
        "its",
        "your",
        "our",
        "my",
        "load",
    ]
)
IP = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\d|\.\d)")
TRACE_ID = re.compile(r"(?<![0-9a-z])[0-9a-f]{32}(?![0-9a-z])", re.IGNORECASE)
VERSION = re.compile(r"(?<![\w.])v?\d+\.\d+(?:\.\d+)?(?![a-z0-9_.])")
# (not the Korean particle after it: "/checkout까지", "/checkout/confirm은")
PATH = re.compile(r"(?<![\w/])/[A-Za-z0-9_\-./{}]+")
# a path named by its start: "/checkout...", "/checkout*", "/checkout 으로 시작하는", "starting with /checkout"
PATH_PREFIX_AFTER = re.compile(
    r"(?:\.{2,}|…|\*|\s*(?:으로|로)\s*시작(?:하는|되는|하는\s*거)?|\s*(?:prefix|and\s+below|and\s+under)"
    r"|\s*(?:쪽|하위|아래|밑|이하|계열)(?![가-힣]))"
)
PATH_PREFIX_BEFORE = re.compile(
    r"(?:(?:paths?|endpoints?|urls?|pages?|routes?)\s+(?:that\s+)?)?(?:(?:starting|starts|beginning|begins)\s+with|under|prefix)\s+$"
)
# "any /checkout path", "all /checkout pages", "/checkout endpoints": every path under it
ANY_PATH_BEFORE = re.compile(r"(?:any|all|every)(?:\s+of\s+the)?\s+$")
PATH_NOUN = re.compile(r"\s*(?:paths?|pages?|endpoints?|routes?|urls?)\b")
PATHS_NOUN = re.compile(r"\s*(?:paths|pages|endpoints|routes|urls)\b")
PREFIXED_NOUN_AFTER = re.compile(r"\s*(?:페이지|경로|엔드포인트|url|path|paths|pages|endpoints)(?:의|에서|들)?")
NUMBER = re.compile(r"\d+")

GREETINGS = any_of(rf"{WORD_START}(?:hi|hello|thanks|thank\s+you){WORD_END}", r"안녕", r"고마워", r"감사")
LOG_VOCABULARY = any_of(
    rf"{WORD_START}(?:stack\s*-?\s*traces?|tracebacks?){WORD_END}",
    r"스택",
    rf"{WORD_START}(?:levels?|severity|[0-9a-f]{{32}}|logged|user[_-]?\d+){WORD_END}",
    r"트레이스|레벨",
    rf"{WORD_START}[1-5](?:\d\d|xx)s?{WORD_END}",
    rf"{WORD_START}(?:logs?|errors?|exceptions?|requests?|latency|responses?|services?|fatal|apis?|calls?|endpoints?|users?|"
    rf"warnings?|events?|traces?|sessions?|failures?|failed|slow|http|status|deploy|version|pages?|"
    rf"front[-\s]?end|back[-\s]?end|browsers?|devices?|regions?|ips?|duration|load|messages?|methods?|"
    rf"fatals?|criticals?|warn|warns|debug|info|paths?|ingest(?:ed|ion)?|issues?|problems?|outages?|hosts?|"
    rf"versions?|codes?|timeouts?|latencies|p\d\d|traffic|throughput|deploy(?:s|ed|ment)?|releases?|rollouts?|"
    rf"error_types?|service_versions?|user_id|trace_id|session_id|log_type|http_status|status_code){WORD_END}",
    r"프론트",
    r"타임아웃|커넥션",
    r"레이턴시|응답\s*시간|지연|로딩|로드\s*타임|에러|오류|배포|요청|서비스|버전|환경",
    r"페이지",
    r"엔드포인트",
    r"브라우저",
    r"browser",
    r"device",
    r"region",
    r"로그",
    r"에러",
    r"오류",
    r"요청",
    r"호출",
    r"응답",
    r"서비스",
    r"사용자",
    r"세션",
    r"실패",
    r"경고",
    r"버전",
)

# --- two windows side by side ------------------------------------------------------------------
# "the hour before", "the previous 24 hours", "prev 1 hours", "그 전 1시간", "직전 한 시간", "그 이전 24시간"
# a window said as the earlier one, or set against the first: not the first said again
EARLIER = any_of(rf"{WORD_START}(?:previous|prior|preceding|before|earlier){WORD_END}", r"그\s*전|이전|직전")
SET_AGAINST = re.compile(
    r"(?:\bvs\.?|\bversus|\bcompared\s+(?:to|with)|\bthan|\bagainst|대비|비해|보다|랑|이랑|와|과)\s*(?:the\s+)?$"
)
EARLIER_BEFORE = re.compile(
    r"(?:\bprevious|\bprior|\bprev|\bpreceding|\bthe\s+\d+\s+before|그\s*(?:이전|전|앞)|직전|이전|이맘때|같은\s*시간대?)\s*(?:의\s*)?$"
)
PREVIOUS_WINDOW = any_of(
    rf"{WORD_START}(?:the\s+)?(?:last|previous|prior|prev|preceding)\s+(?:minute|hour|day|week)(?=\s*[?.!]*\s*$)",
    rf"{WORD_START}(?:the\s+)?(?:previous|prior|prev|preceding)\s+(?:\d+\s*|one\s+|an?\s+)?(?:minutes?|hours?|days?|weeks?){WORD_END}",
    rf"{WORD_START}(?:the\s+)?(?:\d+\s*|one\s+)?(?:minutes?|hours?|days?|weeks?)\s+before(?:\s+(?:that|it|then))?{WORD_END}",
    rf"{WORD_START}(?:the\s+)?\d+\s+(?:before|prior)(?:\s+(?:that|it|then))?{WORD_END}",
    rf"{WORD_START}(?:the\s+)?(?:previous|prior|preceding)\s+\d+{WORD_END}(?!\s*(?:minutes?|hours?|days?|weeks?))",
    r"(?:그\s*(?:이전|전|앞)|직전|이전)\s*(?:의\s*)?(?:\d+|한|두|세)?\s*(?:분|시간|일|주|minutes?|hours?|days?|weeks?)",
)
# "3-6 hours ago", "hours 3-6 ago" beside "the last 3 hours": the span just before it
SPAN_BEFORE_AGO = re.compile(
    r"(?<![\w-])(?:(?:the\s+)?(?P<u1>minutes?|hours?|days?|weeks?)\s+)?(?P<a>\d+)\s*(?:-|–|to)\s*(?P<b>\d+)\s*"
    r"(?P<u2>minutes?|hours?|days?|weeks?)?\s+(?:ago|back|earlier|before)(?![\w-])"
)
SAME_TIME_YESTERDAY = any_of(
    rf"{WORD_START}(?:the\s+)?same\s+(?:hour|time|period)\s+yesterday{WORD_END}",
    rf"{WORD_START}yesterday\s+at\s+the\s+same\s+time{WORD_END}",
    # "the same 1-hour window 24 hours ago", "the same hour a day earlier"
    rf"{WORD_START}(?:the\s+)?same\s+(?:(?:\d+|one)[\s-]*(?:hours?|h|minutes?|mins?)[\s-]*)?(?:hour|time|period|window|slot)"
    rf"\s+(?:24\s*(?:hours?|h)|a\s+day|one\s+day)\s+(?:ago|earlier|before){WORD_END}",
    r"어제\s*(?:같은|동일한|이)\s*시간(?:대)?(?:\s*\(?\s*(?:24\s*시간\s*전\s*)?1\s*시간\s*\)?)?",
    r"어제\s*(?:이맘때|이\s*시간|같은\s*시간)(?!\s*까지)(?:\s*(?:1\s*시간|한\s*시간))?",
)
YESTERDAY_SO_FAR = any_of(
    rf"{WORD_START}(?:until|till|up\s+to|by)\s+this\s+time\s+yesterday{WORD_END}",
    rf"{WORD_START}yesterday\s+(?:until|till|up\s+to|by)\s+(?:now|this\s+time|the\s+same\s+time){WORD_END}",
    r"어제\s*(?:이\s*시간|이맘때|같은\s*시간)\s*까지",
)
# what a comparison says besides its windows ("vs", "compared to", "up", "늘었어?")
COMPARISON_WORDS = any_of(
    rf"{WORD_START}stacks?\s+up\s+(?:against|to|with){WORD_END}",
    r"둘\s*다|많아[가-힣]*|적어[가-힣]*|높아[가-힣]*|낮아[가-힣]*|늘었[가-힣]*|줄었[가-힣]*",
    r"몇\s*대\s*몇[가-힣]*|얼마나\s*(?:늘|줄|차이)[가-힣]*",
    rf"{WORD_START}(?:go|goes|going|gone|went|got|get|getting|trend(?:ed|ing)?|moved?|moving)\s+(?:up|down|worse|better|higher|lower){WORD_END}",
    rf"{WORD_START}(?:side\s+by\s+side|next\s+to\s+each\s+other|each|both){WORD_END}",
    rf"{WORD_START}(?:compare[sd]?|comparing|comparison|versus|vs\.?|than|against|relative\s+to|up|down|"
    rf"more|fewer|less|higher|lower|increase[sd]?|decrease[sd]?|changed?|worse|better|grew|dropped|to|with){WORD_END}",
    r"비교(?:해서|해|하면|해줘|해\s*주세요)?",
    r"비해(?:서)?|비하면|차이|달라[가-힣]*|다른가[가-힣]*|올랐[가-힣]*|늘었[가-힣]*|줄었[가-힣]*",
    r"대비",
    r"보다",
    r"(?:늘었|줄었|증가했|감소했|많아졌|적어졌)(?:어|나|어요|나요|는지)?",
    r"(?:이랑|랑|와|과)(?=\s|$)",
)

# --- new in a window, and values missing elsewhere --------------------------------------------
# "error msgs first seen in the last hour": new in the window, unless the question asks when
FIRST_IN_WINDOW = any_of(
    r"처음\s*(?:으로)?\s*(?:보인|나온|나타난|등장한|생긴|뜬|찍힌)",
    rf"{WORD_START}(?:first|1st)\s+(?:seen|appeared|appearing|showed\s+up|popped\s+up|logged|occurred)(?=\s+(?:in|during|within|over|since|today|this|after))",
    rf"{WORD_START}(?:had|have|has)\s+their\s+(?:first|1st)(?=\s)",
)
NEW_VALUES = any_of(
    rf"\(?\s*{WORD_START}(?:not|never)\s+(?:present|seen|logged|there)\s+(?:on|in|during)\s+any\s+(?:earlier|previous|prior|other)\s+"
    rf"(?:days?|hours?|times?|windows?){WORD_END}\s*\)?",
    rf"{WORD_START}(?:not|never)\s+seen\s+(?:earlier|before|previously){WORD_END}",
    # (not "old vs new version": two versions compared)
    rf"{WORD_START}(?<!\bold\s(?:vs|or)\s)(?<!\bold\svs\.\s)(?:brand[-\s]+)?new(?:ly)?(?:\s+appearing)?{WORD_END}"
    rf"(?!\s*(?:vs\.?|versus|or)\s+old\b)",
    rf"{WORD_START}(?:first[-\s]+(?:timers?|ever|time)|1st\s+time|for\s+the\s+(?:first|1st)\s+time){WORD_END}",
    rf"{WORD_START}(?:(?:had|have|has)\s+)?never\s+(?:been\s+)?(?:shown|showed|turned)\s+up(?:\s+in\s+the\s+logs)?(?:\s+before)?{WORD_END}",
    rf"{WORD_START}(?:(?:that\s+)?we\s+)?(?:hadn'?t|had\s+not|haven'?t|never)\s+(?:seen|logged|had)(?:\s+before)?{WORD_END}",
    rf"{WORD_START}(?:having\s+)?never\s+(?:had|seen|logged)\s+(?:it|them)?\s*before{WORD_END}",
    rf"\(?\s*{WORD_START}none\s+before\s*\)?",
    rf"{WORD_START}(?:(?:that|which)\s+)?(?:we(?:'d|\s+had)?\s+)?never\s+(?:been\s+)?(?:seen|had|occurred|happened|saw|appeared)"
    rf"(?:\s+before(?:(?=\s+(?:today|this\s+week|yesterday))|\s+(?:then|that|it|now))?)?{WORD_END}",
    rf"{WORD_START}(?:that\s+it\s+)?never\s+had\s+before{WORD_END}",
    rf"{WORD_START}for\s+the\s+first\s+time{WORD_END}",
    rf"{WORD_START}(?:showed|show|shown|turned)\s+up\s+for\s+the\s+first\s+time{WORD_END}",
    rf"{WORD_START}start(?:ed)?\s+(?:throwing|showing|appearing|logging|raising){WORD_END}",
    r"새로\s*(?:생긴|나타난|발생한|나온|등장한)?",
    r"신규",
    r"(?:어제|전날|이전|그\s*전)까지(?:는|은)?\s*(?:한\s*번도\s*)?없다가",
    r"(?:엔|에는|까지는?|까진)\s*(?:한\s*번도\s*)?없던",
    r"전(?:엔|에는)\s*(?:한\s*번도\s*)?(?:없다가|없던|없었던|없었는데)",
    r"새\s*(?=버전|서비스|ip|아이피|경로|엔드포인트|사용자|유저)",
    r"처음\s*(?:으로)?\s*(?:보는|본|생긴|나타난|발생한|나온|등장한)",
    r"처음으로",
    r"(?<![간분일주]\s)(?<![간분일주])(?:이전|전)(?:에|엔|에는)?\s*(?:한\s*번도\s*)?(?:없다가|없던|안\s*보였던|없었던|안\s*나온)",
    r"첫",
    r"새\s*(?=에러|오류|유형)",
    r"처음\s*(?:생긴|나타난|발생한|나온|본|보는|등장한)",
)
NEGATION = any_of(
    rf"{WORD_START}(?:but\s+)?(?:not(?!\s+(?:counting|including))|never|without|w/o|none)"
    rf"(?:\s+(?:in|on|at|once|got\s+to|reached|hit|visited))?{WORD_END}",
    rf"{WORD_START}(?:doesn'?t|don'?t|didn'?t|does\s+not|do\s+not|did\s+not|isn'?t|aren'?t)(?:\s+(?:get|have|see|log|throw|return))?{WORD_END}",
    r"(?:에는|엔|에선|에서는)?\s*(?:없고|없는|안\s*(?:난|나는|생긴|발생한))",
    r"한\s*번도\s*안\s*(?:난|나는|생긴|발생한|나온|간|부른)",
    r"(?:은|는|이|가)?\s*한\s*번도\s*(?:못|안)\s*[가-힣]+|(?:은|는|이|가)?\s*한\s*번도\s*없(?:는|었던|던|음)",
    rf"{WORD_START}(?:and\s+)?no\s+(?=(?:successful\s+)?\(?\d{{3}})",
    rf"{WORD_START}but\s+never(?:\s+(?:a|an|one|any|a\s+single))?{WORD_END}",
    r"(?:은|는)?\s*안\s*(?:간|나온|내고|낸)",
)
ONLY = any_of(rf"{WORD_START}only{WORD_END}", r"에만", r"에서만", r"전용")
# "by no other IP", "and nobody else", "다른 IP에선 없고", "말고는 아무도 안": one value alone, no other
OTHERS = r"(?:ips?|ip\s+address(?:es)?|services?|users?|hosts?|clients?|sources?|ones?|endpoints?|paths?|regions?)"
NO_OTHER = any_of(
    rf"{WORD_START}(?:and\s+|but\s+)?(?:(?:by|from|on|in)\s+)?(?:no|none\s+of\s+the|not\s+(?:by|from)\s+any|"
    rf"never\s+(?:by|from|on|in)\s+(?:any|an)?)\s*other\s+{OTHERS}?{WORD_END}",
    rf"{WORD_START}(?:and\s+|but\s+)?(?:never\s+(?:by|from)\s+|not\s+(?:by|from)\s+)?"
    rf"(?:nobody|no\s*one|anyone|anybody)\s+else{WORD_END}",
    rf"{WORD_START}exclusively{WORD_END}",
    r"다른\s*(?:ip|아이피|데|곳|서비스|사용자|유저|사람|호스트)?\s*(?:에서는|에선|에서|는|은|엔|에는|에서도|선|서는|서)?\s*"
    r"(?:한\s*번도\s*)?(?:안\s*[가-힣]+|없[가-힣]*)",
    r"(?:말고는?|외에는?|빼고는?)\s*(?:아무도|아무\s*데서도|다른\s*(?:ip|아이피|데|곳|서비스|사용자|유저|사람)"
    r"(?:에서는|에선|에서|는|은|엔)?)\s*(?:한\s*번도\s*)?(?:안\s*[가-힣]+|없[가-힣]*)",
)
# the exclusive "only" beside one value: "only 198.51.100.23 ever hit", "only from X", "X에서만", "X만"
ONLY_BESIDE = re.compile(r"(?:\bonly\s+(?:(?:from|by|on|in)\s+)?$)")
NO_ERRORS = any_of(
    r"(?P<fatal3>fatal|치명)\s*(?:로그|에러)?\s*(?:가|이|는)?\s*(?:한\s*번도|하나도|전혀)?\s*없(?:는|고|었던|던)",
    rf"{WORD_START}(?:with\s+)?(?:zero|no|without(?:\s+any)?|none|0)\s+(?P<fatal>fatals?|fatal\s+(?:logs?|errors?|entries|lines)){WORD_END}",
    rf"{WORD_START}(?:have|has|had)\s+not\s+(?:logged|had|thrown|seen|produced)\s+(?:a\s+single|any)\s+(?P<fatal2>fatals?|fatal\s+(?:logs?|errors?)){WORD_END}",
    rf"{WORD_START}clean\s*\(\s*no\s+errors?\s*\)",
    rf"{WORD_START}(?:with\s+)?(?:zero|no|without(?:\s+any)?|none|0)\s+(?:errors?|failures?){WORD_END}",
    rf"{WORD_START}(?:clean|error[-\s]free){WORD_END}",
    r"(?:에러|오류)\s*(?:는|가)?\s*(?:하나도|전혀)?\s*없(?:는|고)",
)
STILL_ACTIVE = any_of(
    rf"{WORD_START}(?:but\s+)?(?:still\s+)?(?:logging|active|alive|running|up){WORD_END}",
    rf"{WORD_START}(?:that\s+)?logged{WORD_END}",
    r"로그는\s*있는데",
    r"로그(?:는|가)?\s*있(?:는데|고)",
)
# "above 11%", "11% 넘는": a threshold on a rate
RATE_THRESHOLD = any_of(
    rf"(?:{WORD_START}(?P<op>above|over|more\s+than|greater\s+than|exceeding|at\s+least|under|below|less\s+than)|(?P<sym>>=?|<=?|≥|≤))\s*"
    rf"(?P<n>\d+(?:\.\d+)?)\s*(?:%|percent{WORD_END})",
    r"(?P<kn>\d+(?:\.\d+)?)\s*(?:%|퍼센트)\s*(?P<kop>이상|넘는|넘|초과|미만|이하)",
)
# "of each service", "per service" with a share: the share of the total
SHARE_OF_TOTAL = any_of(
    rf"{WORD_START}(?:share|percentage|percent|proportion|fraction)\s+of\s+(?:the\s+)?(?:total|all)(?:\s+(?:logs|errors|volume))?{WORD_END}",
    rf"{WORD_START}(?:share|percentage|percent|proportion|%)\b",
    r"비중|비율|점유율|퍼센트|%",
)
# "when", "time", "시각" read as part of a first/last seen measure
TIMESTAMP_WORDS = any_of(
    rf"{WORD_START}(?:when|time|timestamps?|date|occurrences?|seen|show\s+up|showed\s+up|appeared){WORD_END}",
    r"시각|일시|시점|언제|타임스탬프|발생\s*시간|시간",
)

# "5xx rate", "401 ratio": a rate of a condition (the error rate has its own words)
RATE_WORD = any_of(rf"{WORD_START}(?:rate|ratio){WORD_END}", r"(?<![가-힣])(?:율|률)")

# Korean words for what services, endpoints and pages are named after, with the English stems
# such names use; matched against the data's own names (결제 서비스 → payment-api), never listed.
KOREAN_NAME_STEMS: dict[str, tuple[str, ...]] = {
    "결제": ("payment", "pay", "billing", "checkout"),
    "주문": ("order",),
    "인증": ("auth",),
    "로그인": ("login", "auth", "signin"),
    "회원가입": ("signup", "register"),
    "검색": ("search",),
    "재고": ("inventory", "stock"),
    "알림": ("notification", "notify", "alert"),
    "사용자": ("user",),
    "유저": ("user",),
    "회원": ("user", "account", "member"),
    "계정": ("account",),
    "게이트웨이": ("gateway",),
    "체크아웃": ("checkout",),
    "장바구니": ("cart", "basket"),
    "카트": ("cart",),
    "상품": ("product", "item", "catalog"),
    "제품": ("product",),
    "배송": ("shipping", "delivery"),
    "프론트엔드": ("frontend",),
    "웹": ("web",),
    "모바일": ("mobile",),
    "헬스체크": ("health",),
    "상태확인": ("health",),
    "홈": ("home",),
}
# Words that are a name only with a noun after them ("사용자 서비스"); alone they mean users, logins...
KOREAN_COMMON_NOUNS = frozenset(
    {"사용자", "유저", "회원", "계정", "웹", "모바일", "로그인", "프론트엔드", "상품", "제품", "홈"}
)
# what may follow such a word: a service ("결제 서비스", "재고 워커") or an endpoint ("로그인 페이지")
KOREAN_SERVICE_NOUN = re.compile(r"\s*(?:쪽|팀)?\s*(?:서비스|api|워커|서버|앱|시스템|쪽)?")
KOREAN_PATH_NOUN = re.compile(r"\s*(?:페이지|엔드포인트|화면|경로|url|endpoint)")

# what introduces a text searched for ("containing the word 'timeout'"), read with the text
CONTAINS_WORDS = any_of(
    rf"{WORD_START}(?:contain(?:s|ing)?|mention(?:s|ing)?|including|matching|with)?\s*(?:the\s+)?(?:words?|text|phrase|string|term){WORD_END}",
    rf"{WORD_START}(?:contain(?:s|ing)?|mention(?:s|ing)?|including|matching|says?|saying){WORD_END}",
    r"(?:이라는|라는|란)\s*(?:말|단어|문구|텍스트)?",
)

# what is counted per session or user when "5 or more page views" is asked (the rows themselves)
VIEWED_PAGES = any_of(
    rf"{WORD_START}(?:page\s*-?\s*views?|pageviews|pages?(?:\s+(?:viewed|visited|seen))?){WORD_END}",
    r"페이지(?:를|을)?",
)

# phrases that carry nothing a query computes ("what happened in", "무슨 일 있었어")
EMPTY_PHRASES = any_of(
    rf"{WORD_START}what\s+happened{WORD_END}",
    rf"{WORD_START}what(?:'s|\s+is)\s+going\s+on{WORD_END}",
    rf"{WORD_START}(?:right\s+now|at\s+the\s+moment|so\s+far){WORD_END}",
    rf"{WORD_START}(?:in\s+terms\s+of|any\s+idea|no\s+idea|quick\s+q(?:uestion)?|real\s+quick|for\s+me){WORD_END}",
    rf"{WORD_START}(?:if\s+you\s+(?:could|can|would|don'?t\s+mind)|if\s+(?:that'?s|it'?s)\s+possible|if\s+possible){WORD_END}",
    rf"{WORD_START}ones?(?=\s*(?:\)|\?|$|,|\.|!))",
    rf"{WORD_START}(?:as\s+(?:a\s+)?(?:percentage|percent|%|share|list|table)|if\s+(?:any|possible)){WORD_END}",
    r"^\s*(?:step|q|question|task|item)\s*#?\d+\s*(?:[—–:.)]|-(?!\d))",
    r"무슨\s*일(?:이)?",
    r"(?<=[a-z0-9])까지\s*(?:갔|간|왔|온|들어간|들어왔)[가-힣]*",  # "/checkout까지 갔는데": reached it
    rf"{WORD_START}(?:until|till|up\s+to)\s+now{WORD_END}",
    # "hosts that logged at least one FATAL": with a FATAL, as any value read is
    rf"{WORD_START}at\s+least\s+(?:one|1|a\s+single|once)(?=\s+[a-z])(?!\s+(?:of|more|time|minute|hour|day|week)){WORD_END}",
    r"\(?\s*utc\s+days?\s*\)?",
    r"영향\s*(?:을\s*)?(?:받은|받는|받았던|받았)",
    r"(?:(?<=오늘\s)|(?<=오늘)|(?<=금일\s)|(?<=금일))들어(?:서|와서)?",  # "오늘 들어서": so far today
    r"(?:주실|줄)\s*수\s*(?:있|없)[가-힣]*",
    r"몇\s*(?:ms|밀리초|초)(?:야|예요|인가요|이야|임|나와|나와요)?",
    r"어떤\s*일(?:이)?",
)
# "source ip", "client ip": the ip
IP_WORDS = any_of(
    rf"{WORD_START}(?:source|client|remote|caller)(?=\s+ips?{WORD_END})",
    rf"(?<=ip\s)addresse?s?{WORD_END}",
    r"(?<=ip\s)주소",
    r"(?<=ip)\s?주소",
    r"(?<=아이피)\s?주소",
)

WHEN = any_of(rf"{WORD_START}when{WORD_END}", r"언제")
FIRST_WORD = any_of(rf"{WORD_START}first{WORD_END}", r"처음")
LAST_WORD = any_of(
    rf"(?<!\d\s){WORD_START}(?:last|latest|most\s+recent(?:ly)?|newest)(?:\s+one)?{WORD_END}(?!\s+\d)",
    rf"{WORD_START}stop(?:ped)?(?:\s+(?:showing\s+up|appearing|happening|logging))?{WORD_END}",
    r"마지막(?!\s*\d)",
)

HTTP_WORD = any_of(rf"{WORD_START}http{WORD_END}")
STATUS_WORDS = any_of(
    r"(?:https?\s*)?status\s*코드",
    rf"{WORD_START}(?:https?\s+)?(?:status(?:\s+codes?)?|response\s+codes?|status\s+code){WORD_END}",
    rf"{WORD_START}(?:http_status|status_code){WORD_END}",
    r"(?:응답|상태|http)\s*(?:코드|status)|status\s*코드",
    r"status",
)

# a percentile is not a path word ("p90 page load time")
PERCENTILE_TOKEN = re.compile(r"^p\d{2}$")

# "messages over 10,000 characters", "message length > 10000", "10000자 넘는": a message's length
MESSAGE_SIZE = any_of(
    rf"{WORD_START}(?:(?:message|msg)s?\s+(?:length|size)s?\s*(?:is\s+|of\s+)?)"
    rf"(?P<op>over|more\s+than|longer\s+than|above|exceeding|greater\s+than|at\s+least|>=?)\s*(?P<n>\d+)"
    rf"(?:\s*(?:characters?|chars?|bytes?|letters?))?",
    rf"(?P<op2>over|more\s+than|longer\s+than|above|exceeding|greater\s+than|at\s+least|>=?)\s*(?P<n2>\d+)\s*"
    rf"(?:characters?|chars?|letters?){WORD_END}",
    r"(?:(?:메시지|message)\s*(?:길이|크기)(?:가|는)?\s*(?P<kn>\d+)\s*(?:자|글자|byte|바이트)?"
    r"|(?P<kn2>\d+)\s*(?:자|글자|byte|바이트))\s*(?:을|를|이|가)?\s*(?P<kop>넘는|넘게|이상|초과|보다\s*긴)",
)
BIG_WORDS = any_of(
    rf"{WORD_START}(?:huge|giant|big|bigger|large|larger|long|longer|oversized|massive|enormous|gigantic){WORD_END}",
    r"거대한|엄청\s*긴|긴|큰|대용량",
    rf"{WORD_START}(?:message|msg)s?\s+(?:length|size)s?{WORD_END}",
    r"메시지\s*(?:길이|크기)(?:가|는)?",
)
# "the latest NullPointerException", "가장 최근 에러": the newest row (one, when one is named)
LATEST = any_of(
    rf"{WORD_START}(?:the\s+)?(?:latest|most\s+recent|newest|last)(?!\s+\d){WORD_END}",
    r"(?:가장|제일)\s*최근|최근(?!\s*\d)|최신(?!\s*\d)",
)
# "the first UpstreamServiceError in order-api", "earliest log from v2.10.0": the oldest row
EARLIEST = any_of(
    # (not "lowest first", "most first": the order of groups ranked)
    rf"{WORD_START}(?<!their\s)(?<!lowest\s)(?<!least\s)(?<!fewest\s)(?<!smallest\s)(?<!fastest\s)(?<!quietest\s)(?<!highest\s)(?<!most\s)(?<!largest\s)(?<!biggest\s)"
    rf"(?:the\s+)?(?:first|earliest|oldest|1st)(?!\s+\d){WORD_END}",
    r"가장\s*오래된",
)
DUPLICATES = any_of(
    rf"{WORD_START}(?:exact\s+|identical\s+)?(?:duplicates?|duplicated|dupes?|dups?|repeated\s+(?:log\s+)?lines){WORD_END}",
    rf"{WORD_START}logged\s+(?:more\s+than\s+once|twice){WORD_END}",
    rf"{WORD_START}(?:appear(?:s|ed|ing)?|occurr?(?:s|ed|ing)?|show(?:s|ed|ing)?\s+up|written|stored|repeated)\s+"
    rf"(?:more\s+than\s+once|twice|multiple\s+times){WORD_END}",
    r"중복(?:된|되는|인)?",
    r"(?:똑같은|동일한|완전히\s*같은)\s*(?:로그|메시지|줄|라인)",
)
SAME_LINE_WORDS = any_of(
    r"중복\s*(?:건수|횟수|수|개수)",
    rf"{WORD_START}(?:how\s+many\s+copies|copy\s+counts?|(?:number|count)\s+of\s+copies|copies){WORD_END}",
    rf"{WORD_START}(?:same|identical|exact|equal)\s*(?:timestamp|time|service|message|text)?s?{WORD_END}",
    rf"{WORD_START}(?:timestamp|time|service|message)s?{WORD_END}",
    r"(?:똑같은|같은|동일한)|시각|시간|서비스|메시지",
)

# Parts of service names that name no service on their own ("api" in payment-api)
# Words for the parts of CamelCase error names ("DB 커넥션 타임아웃" → DatabaseConnectionTimeout):
# abbreviations and Korean words, each to the English word a name is made of
NAME_WORD_ALIASES = {
    "db": "database",
    "디비": "database",
    "데이터베이스": "database",
    "conn": "connection",
    "커넥션": "connection",
    "연결": "connection",
    "접속": "connection",
    "timeouts": "timeout",
    "타임아웃": "timeout",
    "시간초과": "timeout",
    "auth": "authentication",
    "인증": "authentication",
    "업스트림": "upstream",
    "유효성": "validation",
    "검증": "validation",
    "널": "null",
    "포인터": "pointer",
    "npe": "null",
    "결제": "payment",
    "게이트웨이": "gateway",
    "네트워크": "network",
    "리소스": "resource",
    "청크": "chunk",
    "에러": "error",
    "오류": "error",
    "errors": "error",
    "예외": "exception",
    "exceptions": "exception",
    "실패": "failure",
    "failures": "failure",
    "failed": "failure",
}
# Parts of error names that alone name none of them ("error", "service", "type")
GENERIC_ERROR_WORDS = frozenset(
    {"error", "exception", "failure", "service", "type", "key", "not", "found", "rate", "limit", "load", "invalid"}
)
GENERIC_NAME_PARTS = frozenset(
    {
        "api",
        "apis",
        "service",
        "svc",
        "worker",
        "app",
        "server",
        "web",
        "mobile",
        "user",
        "users",
        "frontend",
        "backend",
        "core",
        "main",
        "test",
        "prod",
        "staging",
        "auth",
    }
)
SERVICE_NOUN_AFTER = re.compile(
    r"\s*(?:-\s*)?(?:service|svc|api|worker|app|server|backend)s?(?![a-z0-9_])(?!-[a-z0-9])"
)

# the last part of several services' names that names them together ("the worker services")
SHARED_NAME_TAILS = ("worker",)
# what follows a service named by its own part alone: "payment errors", "order latency"
SERVICE_QUALIFIES = re.compile(
    r"\s+(?:db|database|errors?|exceptions?|failures?|timeouts?|latency|latencies|logs?|requests?|traffic|"
    r"p\d\d|[1-5]xx|calls?|responses?|response\s+times?|durations?|warnings?|fatals?|status|releases?|versions?|"
    r"deploys?|builds?)(?![a-z0-9_\-])"
)
# after a name part, what makes it an endpoint's word rather than the service's ("the payment page";
# "payment api" is the service)
ENDPOINT_NOUN_AFTER = re.compile(
    r"\s*(?:endpoints?|routes?|pages?|paths?|urls?|screens?|엔드포인트|페이지|경로|화면|url)(?![a-z0-9_])"
)
SUPERLATIVE = re.compile(r"(?:est|가장|제일)\b|^(?:가장|제일)|quickest")

# what a threshold after it is about ("avg latency is over 200 ms", "평균 응답시간이 200ms 넘는")
AGGREGATE_BEFORE = re.compile(
    r"(?:\b(?:avg|average|averag(?:es|ed|ing)|mean|median|p\d{2}|\d{2}(?:th)?\s+percentile|max(?:imum)?|min(?:imum)?|peak)\b"
    r"|평균|중앙값|최대|최소|p\d{2})[^,.;?]*$"
)
# the entities a count threshold may count ("users with more than 5 sessions")
COUNTED_ENTITIES = {
    "session": "session_id",
    "user": "user_id",
    "endpoint": "path",
    "path": "path",
    "page": "path",
    "service": "service",
    "version": "service_version",
    "service version": "service_version",
    "error type": "error_type",
}
KOREAN_COUNTED_NOUNS = {
    "버전": "version",
    "서비스": "service",
    "사용자": "user",
    "유저": "user",
    "세션": "session",
    "페이지": "page",
    "아이피": "ip",
    "호스트": "host",
    "경로": "path",
    "엔드포인트": "endpoint",
}
AT_LEAST_WORDS = ("atleast", "이상", ">=", "=>", "≥")
# ... and the metadata keys it may count ("IPs with more than 3 hosts")
COUNTED_KEYS = ("ip", "host", "region", "device", "browser")

# "of all errors", "of the total", "전체 중": a share of the whole, not a rate
OF_THE_TOTAL = any_of(
    rf"{WORD_START}(?:split|divided|spread|distributed)\s+(?:between|among|across){WORD_END}",
    rf"{WORD_START}(?:of\s+(?:all|the\s+total|total|overall)|overall|in\s+total){WORD_END}",
    r"전체\s*(?:중|대비|에서)",
    r"차지하는|차지한|차지",
)
# "failing with 5xx", "failed with a 503": the status says what the failure is
FAILING_WITH = any_of(rf"{WORD_START}(?:fail(?:ing|ed|s|ure)?|erroring|errored)\s+(?:with|as)\b")
# "… are errors", "… were failures": what a share is of, said after it
ARE_ERRORS = any_of(rf"{WORD_START}(?:are|were|is|was)\s+(?:errors?|failures?|error\s+level){WORD_END}")
# "payment 로그 중에 에러가 몇 퍼센트": among all the lines, the share that are errors (the error rate)
ERRORS_AMONG_KO = re.compile(
    r"(?:로그|요청|라인|줄|것|거)\s*(?:중에?서?|가운데)\s*(?:에러|오류|error)(?:가|는|이|인\s*(?:게|것|거))?\s*(?=(?:몇\s*)?(?:퍼센트|%|프로|비율|비중))"
)
A_PERCENT = re.compile(r"percent|%|fraction|proportion|퍼센트|비율", re.IGNORECASE)

# Hosts by other names: "box", "machine", "instance", "pod", "서버", "인스턴스"
HOST_WORDS = any_of(
    rf"{WORD_START}(?:box(?:es)?|machines?|instances?|pods?|nodes?){WORD_END}", r"인스턴스|장비|머신"
)
# "server errors" are 5xx; read as such when a 5xx condition is there
SERVER_ERRORS = any_of(rf"{WORD_START}server[-\s]+(?:errors?|side\s+errors?){WORD_END}", r"서버\s*(?:에러|오류)")
# "device type", "기기 종류": a key named with its kind
KIND_AFTER = re.compile(r"[-\s]*(?:types?|kinds?|wise|종류|유형|타입)(?![a-z])")


def words_of_key(key: str) -> str:
    """A metadata key as words: "page_load_ms" → "page load", "otel.scope.name" → "otel scope name"."""
    return re.sub(r"_(ms|s|pct|count)$", "", key).replace("_", " ").replace(".", " ")


@functools.lru_cache(maxsize=256)  # asked for each key in several passes of every question
def key_words(key: str) -> re.Pattern[str]:
    """The words that name a metadata key: its own name ("region", "page load"), and for a host or
    an IP the other names people use ("box", "server", "client IP", "IP address")."""
    words = words_of_key(key).strip()
    spaced = r"[\s_-]*".join(re.escape(part) for part in words.split())
    alternatives = [rf"{WORD_START}{spaced}(?:e?s)?{WORD_END}"]
    if key.lower().endswith("_ms") and len(words.split()) > 1:
        # a duration is also said by its last word and "time": "page load time", "load time", "loading time"
        last = re.escape(words.split()[-1])
        alternatives.append(rf"{WORD_START}(?:{spaced}[\s-]*times?|{last}(?:ing)?[\s-]*times?){WORD_END}")
    if key.lower() in ("host", "hostname", "host.name"):
        alternatives += [HOST_WORDS.pattern, r"서버(?=\s*(?:수|몇|별|마다))"]
    if key.lower() in ("ip", "client_ip", "remote_ip"):
        alternatives.append(rf"{WORD_START}(?:client\s+|source\s+|remote\s+)?ips?(?:\s+address(?:es)?)?{WORD_END}")
        alternatives.append(r"(?:클라이언트|소스|출발지|원격)\s*(?:ip|아이피)")
    return any_of(*alternatives)


# what joins two dimensions grouped by together ("service and error type", "서비스·에러 유형별")
DIMENSION_JOINER = re.compile(
    r"\s*(?:and|x|×|,|/|&|\+|·|per|by|then|랑|이랑|와|과|및|별|별로|별,|마다|에서|에서의)?\s*(?:and|per|by|별|,)?\s*"
    r"(?:the|each|로그|어떤|무슨|which|what)?\s*",
    re.IGNORECASE,
)
# words for the row columns people name ("with service, error type and message", "time, path, status")
# "show all columns", "everything for trace …", "full details": rows with every column
ALL_COLUMNS = any_of(
    rf"{WORD_START}(?:all|every|each)\s+(?:the\s+)?(?:columns?|fields?|details?|attributes?){WORD_END}",
    rf"{WORD_START}(?:everything|full\s+(?:rows?|details?|records?|log\s+lines?)|raw\s+(?:rows?|logs?|records?)){WORD_END}",
    r"모든\s*(?:컬럼|열|필드|칼럼)|전체\s*(?:컬럼|열|필드|칼럼)",
)
# what a list of new versions says they were: "new versions rolled out / deployed in the past 6h"
DEPLOYED_WORDS = any_of(
    rf"{WORD_START}(?:got\s+)?(?:deployed|rolled\s+out|shipped|released|pushed|went\s+out|going\s+by){WORD_END}",
    r"배포(?:된|됐|되었|한)[가-힣]*|올라간|올라온|릴리즈된",
)
# "before vs after the deploy", "old version vs new", "배포 전후": what a split by version shows
DEPLOY_SPLIT = any_of(
    rf"{WORD_START}(?:before\s+(?:vs\.?|and|or|/)\s+after|after\s+(?:vs\.?|and|or|/)\s+before){WORD_END}",
    rf"{WORD_START}(?:the\s+)?(?:last\s+|latest\s+|recent\s+)?(?:deploy(?:ment)?s?|rollouts?|releases?)(?:\s+of\s+[\w\-]+)?{WORD_END}",
    rf"{WORD_START}(?:after|before|since)\s+the(?=\s+(?:last\s+)?deploy)",
    rf"{WORD_START}old(?:er)?(?:\s+version)?\s+(?:vs\.?|and|or|/|versus)\s+new(?:er)?(?:\s+version)?{WORD_END}",
    rf"{WORD_START}(?:make|made|making)\s+(?:things|it)\s+(?:worse|better){WORD_END}",
    r"배포(?!\s*(?:해|하|시켜|좀|부탁))\s*(?:전후|전|후|이후|이전)?|전후",
    rf"{WORD_START}(?:old(?:er)?|new(?:er)?|previous|current)(?:\s+(?:version|release|build))?{WORD_END}",
    r"이전\s*버전|새\s*버전|구\s*버전|신\s*버전",
)
# one side of a deploy ("since the deploy", "배포 후"): the service's newest version, or the one before
_DEPLOYED = (
    r"(?:the\s+)?(?:last\s+|latest\s+|recent\s+|most\s+recent\s+|new\s+)?"
    r"(?:deploy(?:ment)?|rollout|roll-out|release|upgrade)"
)
AFTER_DEPLOY = any_of(
    rf"{WORD_START}(?:after|since|post)\s+{_DEPLOYED}{WORD_END}",
    rf"{WORD_START}(?:deploy(?:ment)?|rollout|release)\s*(?:이후|후|다음|하고\s*나서)",
    r"(?:(?:지난|마지막|최근|직전)\s*)?배포\s*(?:된\s*)?(?:이후|후|다음|하고\s*나서|되고\s*나서|뒤)(?:로|부터|에|에는)?",
)
BEFORE_DEPLOY = any_of(
    rf"{WORD_START}(?:before|prior\s+to|pre)\s+{_DEPLOYED}{WORD_END}",
    rf"{WORD_START}(?:deploy(?:ment)?|rollout|release)\s*(?:이전|전)",
    r"(?:(?:지난|마지막|최근|직전)\s*)?배포\s*(?:이전|전)(?:에|에는|까지)?",
)
BOTH_SIDES_OF_DEPLOY = any_of(
    rf"{WORD_START}(?:before\s+(?:vs\.?|and|or|/|versus)\s+after|after\s+(?:vs\.?|and|or|/|versus)\s+before)\s+{_DEPLOYED}{WORD_END}",
    r"배포\s*전후(?:로|에|의)?|배포\s*전\s*(?:vs|와|이랑|랑|하고)\s*(?:배포\s*)?후",
)
# a change asked about across the deploy: both sides are shown
CHANGED_AFTER = any_of(
    rf"{WORD_START}(?:slower|faster|worse|better|more|fewer|less|higher|lower|increase[sd]?|decrease[sd]?|"
    rf"spike[sd]?|jump(?:ed)?|grow|grew|drop(?:ped)?|change[sd]?|regress(?:ed|ion)?|compared?){WORD_END}",
    r"느려|빨라|늘[었어]|줄[었어]|높아|낮아|많아|적어|달라|변화|비교|증가|감소|악화",
)
AND_SO_ON = any_of(rf"{WORD_START}(?:and\s+so\s+on|etc\.?|and\s+others|and\s+the\s+rest)(?!\w)", r"…", r"등등?")
# between two column names of a list: "time, type and message", "시각·서비스·메시지", "a / b / c"
COLUMN_JOINER = re.compile(r"\s*(?:,|/|·|\+|&|and|이랑|랑|하고|와|과)\s*(?:and\s*)?", re.IGNORECASE)
BARE_TYPE = any_of(rf"{WORD_START}types?{WORD_END}", r"유형|종류|타입")
TIME_COLUMN = any_of(rf"{WORD_START}(?:time|times|timestamps?|when|ts){WORD_END}", r"시각|시간|일시|언제")
# a duration or a message length named as a column of rows ("time, service, path, duration")
DURATION_COLUMN = any_of(
    rf"{WORD_START}(?:durations?|duration_ms|latenc(?:y|ies)|response\s+times?|elapsed|took){WORD_END}",
    r"소요\s*시간|응답\s*시간|걸린\s*시간|레이턴시|지연\s*시간",
)
LENGTH_COLUMN = any_of(
    rf"{WORD_START}(?:the\s+)?(?:lengths?|sizes?|char(?:acter)?\s+counts?){WORD_END}", r"길이|글자\s*수"
)
# "rank services by errors", "sorted by count": groups in the order of their measure
RANK_WORDS = any_of(
    rf"{WORD_START}(?:rank(?:ed|ing|s)?|sort(?:ed|ing)?|order(?:ed)?)(?:\s+(?:them|it))?(?=\s+(?:\w+\s+){{0,3}}?by\b)",
    rf"{WORD_START}(?:rank(?:ed|ing)?|sorted|ordered){WORD_END}",
    r"순위(?:로|별)?|랭킹",
)
# "lowest first", "ascending", "적은 순": the least first
LOW_FIRST = any_of(
    rf"{WORD_START}(?:lowest|least|fewest|smallest|fastest|quietest)\s+(?:first|on\s+top){WORD_END}",
    rf"{WORD_START}(?:(?:sorted|ordered|ranked)\s+)?(?:asc(?:ending)?|low\s+to\s+high){WORD_END}",
    r"(?:적은|낮은|작은|빠른)\s*순(?:으로|서로|서대로)?",
    r"오름차순(?:으로)?",
)
# "show 4", "just 5", "give me 3": how many of the groups ranked
SHOWN_N = any_of(
    rf"{WORD_START}(?:show(?:\s+me)?|give\s+me|list|just|only|first)\s+(?:the\s+)?(?:top\s+|first\s+)?(?P<n>\d+)"
    rf"(?:\s+only)?{WORD_END}(?!\s*(?:%|ms|s\b|min|minutes?|hours?|days?|h\b|d\b|m\b))",
    rf"{WORD_START}(?P<o>\d+)\s+only{WORD_END}",
)
# "highest first", "높은 순으로": the order a ranking has anyway
HIGH_FIRST = any_of(
    rf"{WORD_START}(?:highest|largest|biggest|slowest|most)\s+first{WORD_END}",
    rf"{WORD_START}(?:sorted|ordered|ranked)\s+(?:desc(?:ending)?|high\s+to\s+low){WORD_END}",
    rf"{WORD_START}desc(?:ending)?{WORD_END}",
    r"(?:높은|큰|많은|느린|긴|오래\s*걸린)\s*순(?:으로|서로|서대로)?",
    r"내림차순(?:으로)?",
)
# asking for a person or a name: answered only by groups or rows ("who is on call" is not a count)
# (as a question — "who is on call", "tell me who deployed" — not "users who got errors")
WHO = any_of(
    rf"(?:^|[.?!,:;]\s*|{WORD_START}(?:tell\s+me|know|see|check|find\s+out|asking)\s+)(?:who|whom|who's){WORD_END}",
    r"누구|누가",
)
# what no log line holds, however it is counted
NOT_IN_LOGS = any_of(
    rf"{WORD_START}(?:on[\s-]?call|pager\s*duty|pagers?|paged|rota|roster){WORD_END}",
    # "who do I page for order-api": a person to call, not the pages of the site
    rf"{WORD_START}(?:who|whom)\s+(?:(?:do|should|can|could|would|will|to)\s+)?(?:i|we|you)?\s*(?:page|call|ping|escalate\s+to)"
    rf"{WORD_END}",
    r"온콜|당직|호출기",
)
# requests as what is counted ("requests per minute"; not "users who hit an error")
REQUESTS_COUNTED = any_of(rf"{WORD_START}(?:requests?|api\s+calls?|http\s+calls?){WORD_END}", r"요청|호출")
REQUEST_WORDS = any_of(rf"{WORD_START}(?:requests?|calls?|hits?|hit){WORD_END}", r"요청|호출")
WITH_COLUMNS = any_of(
    rf"{WORD_START}(?:with|w/|incl(?:uding)?|showing|plus)\s+(?:their|its|the)?(?=\s*[a-z])",
    r"(?:이랑|랑|하고|와|과)\s*(?:같이|함께)",
)
# "show all browsers", "다 보여줘": every group, ranked, not only the first
SHOW_ALL = any_of(
    rf"{WORD_START}(?:show|list|with)\s+(?:them\s+)?all{WORD_END}",
    rf"{WORD_START}all\s+(?:of\s+them|the\s+\w+s|\w+s)\b(?=\s*[?.!]?\s*$)",
)

# Clock anchors: "since 9am", "after 14:00", "between 2 and 3 pm", "오늘 아침 9시 이후", "2시에서 3시 사이"
CLOCK_SINCE = any_of(
    rf"{WORD_START}(?:since|after|from)\s+(?P<h>\d{{1,2}})(?::00)?\s*(?P<ap>am|pm|a\.m\.|p\.m\.|o'?clock)?(?:\s*\(?utc\)?)?(?:\s+(?:today|this\s+morning))?{WORD_END}(?!\s*(?:ms|s|seconds?|minutes?|hours?|days?|%))",
    r"(?P<kp>오전|오후|아침|저녁|밤|새벽)?\s*(?P<kh>\d{1,2})\s*시\s*(?:정각\s*)?(?:이후|부터|이후로|넘어서)",
)
CLOCK_BETWEEN = any_of(
    rf"{WORD_START}(?:(?:between|from)\s+)?(?P<h1>\d{{1,2}})(?::00)?\s*(?P<ap1>am|pm)?\s*(?:and|to|-|–|~)\s*(?P<h2>\d{{1,2}})(?::00)?\s*(?P<ap2>am|pm){WORD_END}",
    rf"{WORD_START}(?:(?:between|from)\s+)?(?P<h3>\d{{1,2}}):00\s*(?:-|–|~|to|and|until|부터)\s*(?P<h4>\d{{1,2}}):00{WORD_END}"
    r"(?:\s*(?:까지|사이))?",
    # "yesterday 14-15h": hours of the day, on a 24-hour clock
    # (not "3-6 hours ago": hours back from now)
    rf"{WORD_START}(?P<h6>[01]?\d|2[0-3])\s*[-–~]\s*(?P<h7>[01]?\d|2[0-4])\s*(?:h|hours|시)(?=\s|$|[?,.])"
    r"(?!\s*(?:ago|back|earlier|before|전))",
    rf"{WORD_START}(?:(?:between|from)\s+)?(?P<h5>\d{{1,2}})(?::00)?\s*(?P<ap5>am|pm)?\s*(?:and|to|-|–|~|until)\s*"
    rf"(?P<mid>midnight){WORD_END}",
    r"(?P<kp>오전|오후|아침|저녁|밤|새벽)?\s*(?P<kh1>\d{1,2})\s*시\s*(?:에서|부터|~|-)\s*"
    r"(?:(?P<kh2>\d{1,2})\s*시|(?P<kmid>자정))\s*(?:사이|까지)?",
)
# "(UTC)", "14:00-15:00 UTC": the times are in UTC, whatever LOGLENS_TIMEZONE says
UTC = any_of(rf"\(?\s*{WORD_START}(?:utc|gmt|zulu){WORD_END}\s*\)?")
MORNING_WORDS = any_of(rf"{WORD_START}(?:this\s+morning|today){WORD_END}", r"오늘|아침|금일|당일")

# A value named to be left out of what is counted: "except staging", "other than gateway",
# "non-prod"; Korean says it after the value ("게이트웨이 빼고", "스테이징 제외하고", "gateway 말고").
EXCLUDING_BEFORE = any_of(
    rf"{WORD_START}(?:(?:if\s+(?:we|you|i)\s+)?(?:exclude|leave\s+out|ignore|skip|drop)|"
    rf"except(?:\s+for)?|excluding|exclude|excl\.?|other\s+than|apart\s+from|aside\s+from|besides|"
    rf"minus|not\s+counting|not\s+including|ignoring|ignore|leaving\s+out|leave\s+out|skip(?:ping)?|no|w/o|without)"
    rf"(?:\s+(?:the|any|anything\s+(?:coming\s+)?(?:from|in|on)|logs?\s+(?:from|in|of)|requests?\s+from|"
    rf"traffic\s+from|for))?{WORD_END}",
    rf"{WORD_START}non[\-\s]?(?=[a-z])",
)
EXCLUDING_AFTER = any_of(
    r"(?:은|는|을|를|이|가)?\s*(?:빼고|빼면|뺀|제외(?:하고|한|하면|시키고|해서|해줘)?|말고(?!는\s*아무)|이외(?:의|에)?|외에)"
    r"(?:\s*(?:다른|나머지)(?:\s*(?P<rest>(?:서비스|환경)(?:들)?(?:의|에서|은|는|이|가)?)(?=\s|$))?)?",
    # "…, workers excluded", "staging left out"
    rf"\s+(?:excluded|left\s+out|aside){WORD_END}",
)
# The attribute's own noun said before an English marker, after a preposition: "from services other
# than payment-api" names the rows kept, not a grouping ("which services other than…" still groups).
EXCLUDED_NOUN = re.compile(
    r"(?<![a-z0-9_])(?:from|in|on|across|for)\s+(?:(?:any|all|the)\s+)?(?P<noun>services|environments|envs|levels)\s+$",
    re.IGNORECASE,
)

# Where a share says its base: "% TypeError among FE errors" (the base follows), "what fraction of
# checkout errors are TypeError" (the part follows), "프론트엔드 에러 중 TypeError 비율" (the part follows).
SHARE_BASE_FOLLOWS = any_of(rf"{WORD_START}(?:among|amongst|within|out\s+of){WORD_END}")
SHARE_PART_FOLLOWS = any_of(
    rf"(?:{WORD_START}(?:percentage|percent|pct|share|proportion|fraction|ratio)|%)\s+of\s+[^?]*?"
    rf"{WORD_START}(?P<marker>(?:that|which|who)\s+(?:are|is|were|was)|are|is|were|was){WORD_END}",
    rf"(?:{WORD_START}(?:percentage|percent|pct|share|proportion|fraction)|%)\s+"
    rf"(?P<marker2>(?:of\s+(?:them|those|these)\s+)?(?:are|is|were|was)){WORD_END}",
)
SHARE_PART_FOLLOWS_KO = re.compile(r"(?:(?<=\s)|(?<=[가-힣]))(?:중에서|중에|중|가운데|에서)(?=\s)")

# A count said right before the groups a threshold is on: "count the user sessions that went
# through 5+ pages", "how many sessions had…", "# users with…": how many groups pass, not each one.
GROUPS_COUNTED = any_of(
    rf"^\s*(?:#|how\s+many|count\s+(?:of\s+)?(?:the\s+)?|number\s+of|no\.\s+of)\s*(?:[a-z]+\s+)?"
    rf"(?P<noun>sessions|users|ips|services|endpoints|paths|hosts|versions){WORD_END}",
    r"(?P<knoun>세션|사용자|유저|서비스|아이피|ip|호스트|엔드포인트|경로|버전)(?:들)?(?:이|가|은|는)?\s*"
    r"(?:몇\s*(?:개|명|곳|군데)|개수|수(?:가|는|를)?(?![가-힣]))",
)

# The noun of a column, after a value of it ("GET method", "staging environment").
ATTRIBUTE_NOUNS = {
    "method": r"methods?|verbs?",
    "service": r"services?",
    "environment": r"environments?|envs?",
    "level": r"levels?",
    "path": r"paths?|endpoints?|pages?|routes?|checks?",
    "log_type": r"log[\s_]?types?|types?|logs?",
    "error_type": r"error[\s_]?types?|errors?|exceptions?",
}

# Several levels named together: "WARN, ERROR and FATAL", "warn/error/fatal", "warnings, errors and
# fatals"; or a level and those above it: "warn+", "WARN and above", "WARN 이상".
LEVEL_WORD = r"(?:trace|debug|info|warn(?:ing)?s?|errors?|errs?|fatals?|critical)"
LEVEL_LIST = any_of(
    rf"{WORD_START}(?P<list>{LEVEL_WORD}(?:\s*(?:,|/|\+|&|and|or)\s*(?:and\s+|or\s+)?{LEVEL_WORD}){{1,4}})"
    rf"(?:\s+(?:levels?|logs?|lines|entries|counts?|messages))?{WORD_END}",
)
LEVEL_AND_ABOVE = any_of(
    rf"{WORD_START}(?:level|severity)\s*>=\s*(?P<level2>debug|info|warn(?:ing)?|error){WORD_END}",
    rf"{WORD_START}(?P<level>debug|info|warn(?:ing)?|error)(?:\s*\+|\s+(?:and|or)\s+(?:above|higher|worse|up)|"
    rf"\s+level\s+(?:and|or)\s+(?:above|higher)|\s*이상)(?![a-z0-9_])",
)
LEVEL_ORDER = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
# Values named side by side, counted as one: "502s and 503s combined", "502+503", "합쳐서"
TOGETHER = any_of(
    rf"{WORD_START}(?:combined|together|altogether|in\s+total|summed|added\s+up|put\s+together|total(?:led)?){WORD_END}",
    r"(?<=\d)\s*\+\s*(?=\d)",
    r"합쳐서|합친|합해서|합산|통틀어|더해서|더한|총",
)
# ... or one count each: "each", "respectively", "vs", "which", "by service"
EACH_VALUE = any_of(
    rf"{WORD_START}(?:each|respectively|separately|individually|apiece|per|by|which|vs\.?|versus|compared?|"
    rf"comparing|breakdown|split|side\s+by\s+side|broken\s+down|or){WORD_END}",
    r"각각|따로|별로|별(?![가-힣])|비교|어느|어떤|누가|더\s*(?:많|높|적|낮)",
)
EACH_LEVEL = any_of(
    rf"{WORD_START}(?:each|per|by|every)\s+level{WORD_END}",
    rf"{WORD_START}(?:respectively|separately){WORD_END}",
    r"레벨\s*별|레벨마다|각각",
)

# A status compared to a code: "status >= 500", "status code > 499", "status-400", "http_status=404",
# "상태 코드 500 이상" (read before any count threshold, which would take ">= 500" as a count)
STATUS_COMPARISON = any_of(
    rf"{WORD_START}(?:http[_\s-]?)?(?:status|response)(?:[_\s-]?codes?)?\s*"
    rf"(?:(?P<op>>=|=>|>|<=|=<|<|==|=|≥|≤|!=|<>|over|above|below|under|at\s+least|at\s+most)\s*|-)"
    rf"(?P<code>[1-5]\d\d)(?![\d.])",
    r"(?:http\s*)?(?:상태\s*코드|상태값|status)\s*(?:가|이)?\s*(?P<kcode>[1-5]\d\d)\s*(?P<kop>이상|초과|미만|이하)",
)
STATUS_COMPARISON_OPS = {
    ">=": ">=",
    "=>": ">=",
    "≥": ">=",
    "atleast": ">=",
    "이상": ">=",
    ">": ">",
    "over": ">",
    "above": ">",
    "초과": ">",
    "<=": "<=",
    "=<": "<=",
    "≤": "<=",
    "atmost": "<=",
    "이하": "<=",
    "<": "<",
    "below": "<",
    "under": "<",
    "미만": "<",
    "!=": "!=",
    "<>": "!=",
}
TAKES_UP_KO = re.compile(r"차지(?:하는|한|하|해)")
