"""Words the planner understands, in English and Korean. Only words about logs and questions:
names of services, errors, paths and metadata values are never listed here — the planner
reads them from the data (``agent/schema.py``)."""

from __future__ import annotations

import re


def rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE)


# ASCII word boundaries that also hold next to Hangul (Korean particles attach to words).
B = r"(?<![a-z0-9_])"
E = r"(?![a-z0-9_])"

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
    "ten": 10,
    "twelve": 12,
    "fifteen": 15,
    "thirty": 30,
    "한": 1,
    "두": 2,
    "세": 3,
    "네": 4,
}

LAST_N = rx(
    rf"{B}(?:in|over|during|within|for)?\s*(?:the\s+)?(?:last|past|previous|recent)\s+"
    rf"(?P<n>\d+|a|an|one|two|three|four|five|six|seven|ten|twelve|fifteen|thirty)?\s*"
    rf"(?P<unit>minutes?|mins?|hours?|hrs?|days?|weeks?){E}",
    rf"{B}(?:in|over|during|within|for)?\s*(?:the\s+)?(?:last|past|previous|recent)\s+(?P<sn>\d+)(?P<sunit>[mhdw]){E}",
    r"(?:최근|지난|과거)\s*(?P<kn>\d+|한|두|세|네)?\s*(?P<kunit>분|시간|일|주일|주)(?:간|동안|사이)?",
)
TODAY = rx(rf"{B}today{E}", r"오늘")
SINCE_YESTERDAY = rx(rf"{B}since\s+yesterday{E}", r"어제\s*부터")
YESTERDAY = rx(rf"{B}yesterday{E}", r"어제(?:\s*하루)?")
THIS_WEEK = rx(rf"{B}this\s+week{E}", r"이번\s*주")
LAST_WEEK = rx(rf"{B}last\s+week{E}", r"지난\s*주(?!일)(?!\s*\d)")

# "error types", "error rate", "에러 유형", "에러율" name a dimension or a measure, not a filter
NOT_A_FILTER = r"(?!\s*(?:types?|kinds?|classes|names|rates?|ratios?|percentages?|유형|종류|타입|율|률|비율))"
ERROR_WORDS = rx(
    rf"{B}errors?{E}{NOT_A_FILTER}",
    rf"{B}erroring{E}",
    rf"{B}exceptions?{E}",
    rf"{B}failures?{E}",
    rf"{B}failed{E}",
    rf"{B}failing{E}",
    rf"{B}crash(?:es|ed)?{E}",
    rf"에러{NOT_A_FILTER}",
    rf"오류{NOT_A_FILTER}",
    r"실패(?!\s*율)",
    r"장애",
    r"예외",
)
LEVEL_NAMES = {
    "trace": "TRACE",
    "debug": "DEBUG",
    "info": "INFO",
    "warn": "WARN",
    "warning": "WARN",
    "warnings": "WARN",
    "error": "ERROR",
    "fatal": "FATAL",
    "critical": "FATAL",
    "경고": "WARN",
    "디버그": "DEBUG",
    "치명": "FATAL",
}
EXPLICIT_LEVEL = re.compile(rf"{B}(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL){E}")  # upper case in the text
LEVEL_MENTION = rx(
    rf"{B}(?:level|severity)\s+(?P<a>trace|debug|info|warn|warning|error|fatal){E}",
    rf"{B}(?P<b>trace|debug|info|warn|warning|error|fatal)\s+(?:level|severity|logs?|entries){E}",
    rf"{B}(?P<c>warnings){E}",
    r"(?P<d>경고)",
)

COUNT = rx(
    rf"{B}how\s+many{E}",
    rf"{B}number\s+of{E}",
    rf"{B}counts?{E}",
    rf"{B}total{E}",
    rf"{B}volume{E}",
    r"몇\s*(?:건|개|번|회|명)",
    r"건수",
    r"개수",
    r"(?<![가-힣])수(?![가-힣])",
    r"횟수",
    r"얼마나",
)
AVERAGE = rx(rf"{B}(?:average|avg|mean){E}", r"평균")
MAXIMUM = rx(rf"{B}(?:max|maximum|peak|highest|longest){E}", r"최대", r"최고", r"가장\s*긴")
MINIMUM = rx(rf"{B}(?:min|minimum|lowest|shortest){E}", r"최소", r"최저")
PERCENTILE = rx(
    rf"{B}p(?P<p>50|75|90|95|99){E}",
    rf"{B}(?P<q>50|75|90|95|99)(?:th)?\s*percentile{E}",
    rf"{B}(?P<median>median){E}",
    r"(?P<kmedian>중앙값|중간값)",
    r"(?P<kp>50|75|90|95|99)\s*(?:퍼센타일|백분위)",
)
# "is payment-api healthy?": its error rate is the first thing to look at
HEALTH = rx(rf"{B}(?:healthy|health|doing\s+ok|okay)\b", r"(?:괜찮|정상이|건강)")
ERROR_RATE = rx(
    rf"{B}(?:error|failure)\s+(?:rate|ratio|percentage){E}",
    rf"{B}(?:percent(?:age)?|share|fraction|proportion)\s+of\s+(?:\w+\s+){{0,2}}(?:failed|failing|errored|were\s+errors)",
    rf"{B}(?:percent(?:age)?|share|fraction|proportion)\s+of\s+(?:\w+\s+)?(?:are|is|were|was)\s+errors?{E}",
    r"(?:에러|오류|실패)\s*(?:율|비율|률)",
)
SHARE = rx(rf"{B}(?:percentage|percent|share|proportion|ratio|fraction){E}", r"%", r"비율", r"비중", r"퍼센트")
MESSAGE_LENGTH = rx(
    rf"{B}message\s+(?:length|size)s?{E}",
    rf"{B}(?:longest|biggest|largest)\s+messages{E}",
    r"메시지\s*(?:길이|용량|크기)",
)
FIRST_SEEN = rx(
    rf"{B}first\s+(?:seen|time|occurrence|occurred|appeared|happened){E}",
    rf"{B}first(?=\s+and\s+last)",
    rf"{B}when\s+did\b.*\b(?:start|begin|first){E}",
    rf"{B}since\s+when{E}",
    r"처음",
    r"언제부터",
    r"최초",
)
LAST_SEEN = rx(
    rf"{B}last\s+(?:seen|time|occurrence|occurred|appeared|happened){E}",
    rf"(?<=first\sand\s)last{E}",
    rf"{B}most\s+recently\s+(?:seen|happened){E}",
    rf"{B}when\s+did\s+the\s+last\b",
    r"마지막",
    r"언제까지",
)
DURATION = rx(
    rf"{B}response\s+times?{E}",
    rf"{B}latenc(?:y|ies){E}",
    rf"{B}durations?{E}",
    rf"{B}slow(?:er|est)?{E}",
    rf"{B}took{E}",
    rf"{B}elapsed{E}",
    rf"{B}request\s+times?{E}",
    r"응답\s*시간",
    r"지연",
    r"소요\s*시간",
    r"처리\s*시간",
    r"느린",
    r"느려",
    r"레이턴시",
)
# Duration words that ask for the fastest first.
FAST = rx(rf"{B}fast(?:er|est)?{E}", rf"{B}quickest{E}", r"빠른", r"빨리")
DISTINCT = rx(rf"{B}(?:distinct|unique|different)\b", r"고유", r"서로\s*다른", r"중복\s*없")

TOP_N = rx(
    rf"{B}top\s+(?P<n>\d+){E}",
    rf"{B}(?P<m>\d+)\s+(?:most|biggest|largest|slowest|busiest){E}",
    r"상위\s*(?P<k>\d+)",
    r"(?P<j>\d+)\s*(?:개|위|명|곳)\s*(?:까지)?",
)
MOST = rx(
    rf"{B}(?:the\s+)?most{E}",
    rf"{B}(?:biggest|largest|highest|busiest|noisiest|worst){E}",
    rf"{B}slowest{E}",
    r"가장\s*(?:많|큰|높|느린|오래|자주)",
    r"제일\s*(?:많|큰|높|느린)",
    r"최다",
)
# "가장 느린 엔드포인트": the adjective may have been read as the measure already
MOST_BARE = rx(r"가장", r"제일")
LEAST = rx(
    rf"{B}(?:the\s+)?(?:least|fewest){E}", rf"{B}(?:lowest|smallest|fastest){E}", r"가장\s*(?:적|작|낮|빠른)"
)
RECENT_ROWS = rx(
    rf"{B}(?:the\s+)?(?P<n>\d+)\s+(?:most\s+recent|latest|newest|last){E}",
    rf"{B}(?:most\s+recent|latest|newest|last)\s+(?P<m>\d+){E}",
    rf"{B}recent\s+(?P<r>\d+){E}",
    r"최근\s*(?P<k>\d+)\s*(?:개|건|줄)",
    r"마지막\s*(?P<j>\d+)\s*(?:개|건)",
)
# "최근 에러 10개": the recent word and the count with the subject between them
RECENT_WORD_KO = re.compile(r"최근")
COUNTED_KO = re.compile(r"(?P<n>\d+)\s*(?:개|건|줄)(?!\s*(?:이상|넘|초과|미만|이하|보다))")
# "the slowest requests": the requests themselves, slowest first, not an average
SLOWEST_ROWS = rx(
    rf"{B}(?:the\s+)?(?:(?P<p>\d+)\s+)?slowest\s+(?:(?P<n>\d+)\s+)?(?:requests|calls|responses|operations|queries|transactions){E}",
    r"가장\s*느(?:린|렸던)\s*(?:요청|호출|응답)(?:\s*(?P<k>\d+)\s*(?:개|건))?",
)
# "what went wrong in payment-api": its errors, by type
WENT_WRONG = rx(
    rf"{B}what\s+went\s+wrong{E}",
    rf"{B}what(?:'s|\s+is|\s+was)\s+(?:wrong|broken|failing){E}",
    rf"{B}any\s+(?:problems|issues){E}",
    r"(?:무슨|어떤|뭐가)\s*문제",
    r"뭐가\s*잘못",
)
# Asked to change the logs: loglens only reads them.
DESTRUCTIVE = rx(
    r"^\s*(?:please\s+)?(?:delete|drop|truncate|remove|purge|erase|wipe|clear|update|insert|alter)\b"
    r"(?!\s+(?:requests?|calls?|methods?))",
    r"(?:삭제|지워|지우|제거|초기화|수정|변경)\s*(?:해|하|좀|시켜)",
)
SHOW_ROWS = rx(
    rf"{B}(?:show|list|find|display|give|get|fetch|search)\b(?!.*\b(?:count|number|how many)\b)",
    r"(?:보여|찾아|알려|목록|리스트|조회)",
)
ROW_NOUNS = rx(
    rf"{B}(?:logs?|messages?|entries|lines|events|records|stack\s*traces?){E}", r"로그", r"메시지", r"기록"
)
STACK_TRACE = rx(rf"{B}stack\s*traces?{E}", rf"{B}tracebacks?{E}", r"스택")
# A change between two periods: beyond one plan, so left to the model when there is one.
CHANGE = rx(
    rf"{B}(?:increase[sd]?|decrease[sd]?|went\s+up|go(?:ne)?\s+up|went\s+down|go(?:ne)?\s+down|spike[sd]?|"
    rf"regress(?:ed|ion)?|since\s+the\s+(?:last\s+)?deploy|after\s+the\s+(?:last\s+)?deploy){E}",
    r"대비",
    r"증가",
    r"감소",
    r"늘었",
    r"줄었",
    r"급증",
    r"배포\s*(?:후|이후|전)",
)
COMMON = rx(rf"{B}(?:common|frequent|repeated|recurring){E}", r"흔한", r"자주", r"반복")
LIST_WORDS = rx(rf"{B}list(?:\s+of)?{E}", r"목록", r"리스트", r"누구", rf"{B}who{E}")
COMPARE = rx(rf"{B}compare{E}", rf"{B}versus{E}", rf"{B}vs\.?{E}", r"비교", r"대비")
SERIES = rx(
    rf"{B}over\s+time{E}",
    rf"{B}trend{E}",
    rf"{B}timeline{E}",
    rf"{B}histogram{E}",
    r"추이",
    r"추세",
    r"변화",
    r"흐름",
)
BUCKETS = [
    (
        rx(
            r"(?:every|per|each)\s*5\s*-?\s*min(?:ute)?s?",
            r"(?<!\d)5\s*-?\s*minute",
            r"(?<!\d)5분\s*(?:단위|간격|마다|별)",
        ),
        "5 minutes",
    ),
    (
        rx(r"(?:every|per|each)\s*15\s*-?\s*min(?:ute)?s?", r"15\s*-?\s*minute", r"15분\s*(?:단위|간격|마다|별)"),
        "15 minutes",
    ),
    (
        rx(
            rf"{B}(?:per|each|every|by\s+the)\s+minute{E}",
            rf"{B}by\s+minute{E}",
            rf"{B}minutely{E}",
            r"분(?:별|당|\s*단위)",
        ),
        "minute",
    ),
    (
        rx(
            rf"{B}hourly{E}",
            rf"{B}(?:per|each|every|by\s+the|by)\s+hour{E}",
            r"시간(?:대)?별",
            r"시간\s*단위",
            r"매\s*시간",
        ),
        "hour",
    ),
    (
        rx(
            rf"{B}daily{E}",
            rf"{B}(?:per|each|every|by\s+the|by)\s+day{E}",
            r"일별",
            r"날짜별",
            r"일자별",
            r"하루\s*단위",
            r"매일",
        ),
        "day",
    ),
    (rx(rf"{B}weekly{E}", rf"{B}(?:per|each|every|by\s+the|by)\s+week{E}", r"주별", r"주\s*단위"), "week"),
]

# Dimensions: words that name a column. Metadata keys are found from the data's own key names.
DIMENSIONS: list[tuple[re.Pattern[str], str]] = [
    (
        rx(
            rf"{B}error\s+(?:types?|kinds?|classes|names){E}",
            rf"{B}(?:kinds?|types?)\s+of\s+errors?{E}",
            rf"{B}exception\s+(?:types?|classes){E}",
            r"(?:에러|오류|예외)\s*(?:유형|종류|타입|클래스)",
        ),
        "error_type",
    ),
    (rx(rf"{B}services?{E}", rf"{B}apps?{E}(?!\s*(?:versions?))", r"서비스"), "service"),
    (
        rx(
            rf"{B}(?:api\s+)?endpoints?{E}",
            rf"{B}routes?{E}",
            rf"{B}paths?{E}",
            rf"{B}urls?{E}",
            rf"{B}pages?{E}",
            r"엔드포인트",
            r"경로",
            r"페이지",
            r"API",
        ),
        "path",
    ),
    (rx(rf"{B}versions?{E}", rf"{B}releases?{E}", rf"{B}builds?{E}", r"버전"), "service_version"),
    (rx(rf"{B}environments?{E}", rf"{B}envs?{E}", r"환경"), "environment"),
    (rx(rf"{B}(?:http\s+)?methods?{E}", rf"{B}verbs?{E}", r"메서드", r"메소드"), "method"),
    (rx(rf"{B}(?:log\s+)?levels?{E}", rf"{B}severit(?:y|ies){E}", r"레벨", r"심각도"), "level"),
    (
        rx(
            rf"{B}(?:log\s+)?(?:types?|sources?|kinds?)\s+of\s+logs?{E}",
            rf"{B}log\s+types?{E}",
            r"로그\s*(?:유형|타입|종류)",
        ),
        "log_type",
    ),
    (
        rx(rf"{B}users?{E}", rf"{B}customers?{E}", rf"{B}accounts?{E}", r"사용자", r"유저", r"고객", r"회원"),
        "user_id",
    ),
    (rx(rf"{B}sessions?{E}", r"세션"), "session_id"),
    (rx(rf"{B}actions?{E}", r"액션", r"행동"), "action_type"),
    (rx(rf"{B}functions?{E}", r"함수"), "function_name"),
    (rx(rf"{B}(?:source\s+)?files?{E}", r"파일"), "file_path"),
    (rx(rf"{B}(?<!stack\s)traces?{E}", r"트레이스"), "trace_id"),
    (
        rx(rf"{B}messages?{E}", r"메시지"),  # a grouping only beside COMMON ("the most common message")
        "message",
    ),
]
PER = rx(
    rf"{B}(?:per|by|each|every|for\s+each|across|grouped\s+by|broken\s+down\s+by){E}", r"별(?![가-힣])", r"마다"
)
WHICH = rx(rf"{B}(?:which|what|who){E}", r"어느", r"어떤", r"무슨")

# Korean words for concepts whose names in the data are English (metadata keys and values).
KOREAN_TERMS = {
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
    "로드": "load",
    "페이지\\s*로드": "page load",
    "로딩": "load",
}

# Log kinds (log_type); "frontend" also names the web front-end service when there is one.
LOG_TYPES: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (
        rx(
            rf"{B}client[-\s]?side{E}",
            rf"{B}web\s+and\s+mobile{E}",
            rf"{B}mobile\s+and\s+web{E}",
            r"클라이언트",
            r"웹\s*(?:과|와|및)\s*모바일",
        ),
        ("FRONTEND", "MOBILE"),
    ),
    (
        rx(rf"{B}front[-\s]?end{E}", rf"{B}browser[-\s]side{E}", r"프론트\s*엔드", r"프론트", r"웹\s*프론트"),
        ("FRONTEND",),
    ),
    (rx(rf"{B}mobile\s+apps?{E}", r"모바일\s*앱"), ("MOBILE",)),
    (
        rx(
            rf"{B}back[-\s]?end{E}",
            rf"{B}server[-\s]side{E}",
            r"백\s*엔드",
            r"서버",
        ),
        ("BACKEND",),
    ),
    (rx(rf"{B}workers?{E}", rf"{B}background\s+jobs?{E}", r"워커", r"배치"), ("WORKER",)),
    (rx(rf"{B}iot{E}", rf"{B}devices?\s+firmware{E}"), ("IOT",)),
]

LOGIN_FAILURE = rx(
    rf"{B}failed\s+(?:logins?|log-?ins|sign-?ins|authentications?){E}",
    rf"{B}(?:login|log-?in|sign-?in|auth(?:entication)?)\s+failures?{E}",
    rf"{B}(?:login|auth(?:entication)?)\s+(?:errors?|failed){E}",
    rf"{B}brute[-\s]?force{E}",
    r"로그인\s*(?:실패|오류|에러)",
    r"인증\s*(?:실패|오류|에러)",
)
SQL_INJECTION = rx(rf"{B}sql\s*injection{E}", rf"{B}sqli{E}", r"SQL\s*인젝션", r"SQL\s*주입")
SQL_INJECTION_PATTERNS = ("or 1=1", "union select", "drop table")
MISSING = rx(
    rf"{B}(?:missing|without|lacking|no)\s+(?:an?\s+|a\s+)?(?P<what>[a-z_ ]+?)(?:\s|$|[,?.])",
    r"(?P<kwhat>[a-zA-Z_ ]+?)\s*(?:가|이)?\s*없는",
)
SESSIONS_PER_USER = rx(
    rf"{B}users?\s+(?:had|have|with|having)\s+more\s+than\s+(?P<n>\d+|one|two|three)\s+sessions?{E}",
    r"(?P<k>\d+|한|두)\s*개?\s*(?:이상|넘는|초과)의?\s*세션",
)

COUNT_THRESHOLD = rx(
    rf"{B}(?P<op>more\s+than|over|at\s+least|greater\s+than|above)\s+(?P<n>\d+)\s+(?:times|failures|"
    rf"errors|attempts|occurrences|requests|logs){E}",
    r"(?P<kn>\d+)\s*(?:번|회|건)\s*(?P<kop>이상|넘|초과|넘게|보다\s*많)",
)
DURATION_THRESHOLD = rx(
    rf"{B}(?P<op>over|more\s+than|longer\s+than|slower\s+than|above|exceeding|at\s+least|greater\s+than|>=?)\s*"
    rf"(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>ms|milliseconds?|s|secs?|seconds?|minutes?|mins?){E}",
    r"(?P<kn>\d+(?:\.\d+)?)\s*(?P<kunit>초|ms|밀리초|분)\s*(?P<kop>이상|넘|초과|넘게|보다)",
)
QUOTED = re.compile(r"[\"'‘’“”「」『』]([^\"'‘’“”「」『』]{1,200})[\"'‘’“”「」『』]")
CONTAINING = rx(
    rf"{B}(?:contain(?:s|ing)?|with\s+the\s+(?:word|text|phrase)|mention(?:s|ing)?|including|matching)\s+"
    r"(?P<word>[\w\-.:/]{2,60})",
    r"(?P<kword>[\w\-.:/]{2,60})\s*(?:이|가)?\s*(?:들어간|포함된|포함한|있는)",
)
STATUS_CLASS = rx(rf"{B}(?P<c>[1-5])xx{E}", rf"{B}(?P<d>[1-5])00s{E}")
STATUS_CODE = rx(
    rf"{B}(?:status|http|code|returned|responded)\s*(?:code\s*)?(?P<n>[1-5]\d\d){E}",
    rf"{B}(?P<m>[1-5]\d\d)\s+(?:status|errors?|responses?){E}",
    r"(?P<k>[1-5]\d\d)\s*(?:에러|응답|상태)",
    r"(?:응답|상태)\s*코드\s*(?:가\s*)?(?P<j>[1-5]\d\d)",
)
# An HTTP method: in capitals anywhere ("DELETE requests"), or any case before what it qualifies.
HTTP_METHOD_CAPITALS = re.compile(r"(?<![A-Za-z])(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS)(?![A-Za-z])")
HTTP_METHOD = rx(
    rf"{B}(?P<m>get|post|put|delete|patch|head|options)\s*(?=(?:requests?|calls?|methods?|요청|호출|메서드|메소드))"
)
# "trace id 4bf9…", "session s-1029", "user alice42": an id named by its kind (it has a digit).
NAMED_ID = rx(
    rf"{B}(?P<kind>trace|session|user)(?:[\s_-]*id)?\s*[:=#]?\s*(?P<v>(?=[\w\-@.]*\d)[\w\-@.]{{3,64}}){E}",
    r"(?P<kkind>트레이스|세션|사용자|유저)\s*(?:id|아이디)?\s*[:=#]?\s*(?P<kv>(?=[a-z0-9_\-@.]*\d)[a-z0-9_\-@.]{3,64})",
)
ID_KINDS = {"trace": "trace_id", "트레이스": "trace_id", "session": "session_id", "세션": "session_id"}
# "the checkout endpoint", "login 페이지": a word that names endpoints without being one.
PATH_WORD = rx(
    rf"{B}(?P<w>[a-z][a-z0-9_\-]{{2,30}})\s+(?:endpoints?|routes?|pages?|apis?){E}",
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
IP = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
TRACE_ID = re.compile(r"\b[0-9a-f]{32}\b", re.IGNORECASE)
VERSION = re.compile(r"(?<![\w.])v?\d+\.\d+(?:\.\d+)?(?![\w.])")
PATH = re.compile(r"(?<![\w/])/[\w\-./{}]+")
NUMBER = re.compile(r"\d+")

GREETINGS = rx(rf"{B}(?:hi|hello|thanks|thank\s+you){E}", r"안녕", r"고마워", r"감사")
LOG_VOCABULARY = rx(
    rf"{B}(?:logs?|errors?|exceptions?|requests?|latency|responses?|services?|fatal|apis?|calls?|endpoints?|users?|"
    rf"warnings?|events?|traces?|sessions?|failures?|failed|slow|http|status|deploy|version|pages?|"
    rf"front[-\s]?end|back[-\s]?end|browsers?|devices?|regions?|ips?|duration|load|messages?|methods?){E}",
    r"프론트",
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
