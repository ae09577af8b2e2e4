"""Requests to change the logs — delete, update, insert, drop, mark — told apart from questions
about them, in English and Korean, so that every engine refuses them in words before anything
is planned or a model is asked (``QueryEngine.stream``), whatever verb or politeness they use.

A request is read from where its verb stands, not from the verb alone:

- English: an imperative at the start of a clause, after any politeness ("pls", "can you",
  "I need you to", "let's"), or a modal passive ("… should be deleted"), or an SQL statement
  (``UPDATE logs SET``, ``DELETE FROM``, ``DROP TABLE``). "which deploy changed the error rate?",
  "errors after the update" and "how many DELETE requests" are questions: the verb is a past
  tense, a noun or an HTTP method. Verbs with read senses too ("set", "change", "mark", "drop",
  "clear", "remove") are a request only when the clause names something stored: logs, rows,
  levels, the table, "these", "all".
- Korean: a change verb (삭제, 지우다, 없애다, 날리다, 초기화, 수정, 변경, 바꾸다, 업데이트 …)
  followed by a request ending (-해, -해줘, -해 주세요, -하자, 좀, 부탁, ㄱㄱ) or ending the
  sentence. Participles and nouns are questions: 삭제된 로그 (soft-deleted rows), 업데이트 후,
  변경 이후, 바꿔서 보여줘 (show it another way).

Soft-deleted rows are a column (``deleted``) the questions may ask about; nothing here refuses
a question because it says "deleted".
"""

from __future__ import annotations

import re

HANGUL = re.compile(r"[\uac00-\ud7a3]")

REFUSALS = {
    "en": "loglens only reads logs: it cannot delete, change or add them. "
    "Ask what you want to know about them instead.",
    "ko": "loglens는 로그를 읽기만 합니다. 로그를 삭제하거나 바꾸거나 추가할 수 없습니다. "
    "로그에 대해 알고 싶은 것을 물어보세요.",
}

# --- English ----------------------------------------------------------------------------------

_POLITE = (
    r"(?:(?:hey|hi|ok|okay|so|um|uh|yo|right|alright|now|also|and|then|just|quickly|quick|pls|plz|please|fyi|btw|"
    r"team|folks|guys|urgent|asap|"
    r"kindly|go\s+ahead\s+and|let'?s|lets|time\s+to|help\s+me)[\s,!]+){0,6}"
    r"(?:(?:can|could|would|will|wo?n'?t)\s+(?:you|u|ya|we|i)\s+(?:please\s+|pls\s+|plz\s+|just\s+|kindly\s+|quickly\s+){0,4}"
    r"|(?:i|we)\s+(?:want|need|would\s+like|wanna|gotta)\s+(?:you\s+|u\s+)?(?:to\s+)?"
    r"|(?:i|we)'?d\s+like\s+(?:you\s+|u\s+)?to\s+"
    r"|(?:is\s+it\s+possible|is\s+there\s+a\s+way)\s+to\s+"
    r"|how\s+(?:do|can|would|should)\s+(?:i|we|you)\s+"
    r"|(?:you|we)\s+(?:should|must|need\s+to|have\s+to|gotta)\s+"
    r"|(?:i|we)\s+(?:should|must|need\s+to|have\s+to)\s+"
    r")?"
    r"(?:(?:please|pls|plz|just|also|quickly|kindly|go\s+ahead\s+and)\s+){0,4}"
)
# Verbs that only ever ask to change stored data, with the noun and HTTP-method readings left out.
_STRONG = (
    r"delete(?!\s*(?:requests?|calls?|methods?|endpoints?|operations?|ops|verbs?|traffic|http|/|요청|메[서소]드|호출)\b)"
    r"|del|rm|purge|erase|wipe(?:\s+out)?|nuke|trash|scrub|get\s+rid\s+of|throw\s+away|destroy|undelete|zap|expunge"
    r"|dedupe|de-?duplicate|insert|overwrite|rename|modify|alter"
    r"|update(?!\s+(?:on|about|for|of|me|us|history|log\b)\b)"
)
# Verbs with read senses too: a request only with something stored in the same clause.
_SOFT = (
    # ("drop the debug noise", "remove the noise" leave words out of an answer, not rows out of the table)
    r"(?:remove|drop(?!\s*(?:in|of|off|offs|rate|rates)\b))(?![^.;!?]*\bnoise\b)|truncate|clear(?:\s+out)?|clean\s+(?:up|out)|prune"
    r"|change(?!\s+(?:in|of|since)\b)|edit|set(?!\s+of\b)|replace|rewrite|mark|flag|tag|relabel|retag|reclassify"
    r"|downgrade|upgrade|demote|promote|lower|raise|bump|move|reset|restore|recover|resolve|acknowledge|ack"
    r"|archive|dismiss|expire|redact|mask|anonymi[sz]e|obfuscate|fix|empty|kill(?![\s-]*switch)"
    r"|copy|replay|re-?insert|re-?ingest|backfill|duplicate(?=\s+(?:these|those|them|the|all|every|each|this|it)\b)"
)
_STORED = re.compile(
    r"(?<![a-z0-9_])(?:logs?|entries|entry|rows?|records?|lines?|levels?|severity|severities|table|tables|"
    r"messages?|events?|these|them|those|this|it|all|everything|every|each|errors?|warnings?|warns?|infos?|"
    r"debugs?|fatals?|error_type|service_version|columns?|fields?|values?|data|duplicates?|dupes?|deleted|"
    r"status(?:es)?|traces?|partitions?|history|database|db|metadata|names?)(?![a-z0-9_])",
    re.IGNORECASE,
)
# a clause ends at a full stop, not at the dots of an IP or a version ("remove the 203.0.113.66 rows")
_CLAUSE_END = r"\.(?=\s|$)|[;!?\n]|\b(?:and|then|but)\b"
_CLAUSE = re.compile(rf"(?:^|{_CLAUSE_END}|,|:|\s[-–—]\s)\s*", re.IGNORECASE)
# "add a test ERROR log", "write a dummy log line": adding logs, said with what is added
_ADD = re.compile(
    r"(?<![a-z0-9_])(?:add|create|write|append|inject|generate|insert|put|push|fabricate|fake|seed|adding|creating|writing|"
    r"appending|injecting|generating|inserting|putting|pushing|fabricating|faking|seeding)\s+(?:me\s+|us\s+)?"
    r"(?:a|an|one|some|\d+|new|test|dummy|fake|sample|few|more)\b[^.;!?]*?"
    r"(?<![a-z0-9_])(?:logs?|entries|entry|records?|lines?|rows?|events?)(?![a-z0-9_])",
    re.IGNORECASE,
)
_IMPERATIVE = re.compile(rf"{_POLITE}(?:(?P<strong>{_STRONG})|(?P<soft>{_SOFT}))(?![a-z0-9_'-])", re.IGNORECASE)
_SQL = re.compile(
    r"(?<![a-z0-9_])(?:update\s+[a-z_.\"]+\s+set|delete\s+from|insert\s+into|merge\s+into|"
    r"drop\s+(?:table|database|schema|index|view|partition|column)|truncate\s+(?:table\s+)?[a-z_\"]+$|"
    r"truncate\s+table|alter\s+(?:table|column|role|database)|create\s+(?:table|index|view|database|schema|role)|"
    r"grant\s+(?:select|insert|update|delete|all)|revoke\s+\w+|set\s+deleted\s*=|set\s+level\s*=)"
    r"(?![a-z0-9_])",
    re.IGNORECASE,
)
_PASSIVE = re.compile(
    r"(?<![a-z0-9_])(?:should|must|need\s+to|needs\s+to|has\s+to|have\s+to|gotta|got\s+to)\s+(?:be\s+|get\s+)"
    r"(?:deleted|removed|purged|wiped|erased|dropped|truncated|cleared|cleaned\s+up|updated|changed|modified|"
    r"renamed|set|marked|flagged|overwritten|reset|nuked|gone)(?![a-z0-9_])"
    r"|(?<![a-z0-9_])(?:want|need)\s+(?:(?:all|the|these|those|every|my|our|old|[a-z0-9]+-[a-z0-9-]+|debug|info|"
    r"error|warn|staging|test)\s+){0,4}(?:logs?|entries|rows|records|lines)\s+(?:deleted|removed|gone|wiped|"
    r"purged|erased|cleared|dropped|updated|changed)(?![a-z0-9_])",
    re.IGNORECASE,
)

# --- Korean -----------------------------------------------------------------------------------

_KO_ASK = (
    r"(?:해(?!서)|해\s*줘|해\s*주|하자|하세요|하십시오|합시다|할래|해라|하라|해\s*봐|시켜|좀|부탁|ㄱㄱ|ㄱ|고고|"
    r"바랍니다|해야\s*(?:돼|해|함|겠)|하고\s*싶|할\s*수|처리)"
)
_KO_END = r"(?:\s*[.!~?ㅋㅎ]*\s*$)"
_KO = re.compile(
    # Sino-Korean nouns of changing, and English verbs, made verbs by 하다
    rf"(?:삭제|제거|초기화|리셋|수정|변경|업데이트|갱신|편집|교체|치환|덮어쓰기|삽입|추가|생성|복구|복원|드롭|마스킹|익명화|"
    rf"비식별화|암호화|아카이브|보관\s*처리|중복\s*제거|"
    rf"delete|remove|drop|update|wipe|purge|truncate|clear|reset|insert|dedupe|dedup|de-?duplicate)\s*{_KO_ASK}"
    # native verbs in a request or imperative form (not 지워진, 바꿔서, 바꾸고 나서, 바뀐)
    rf"|(?:지워|없애|날려|비워|바꿔|고쳐|넣어|덮어써|밀어)\s*(?:줘|주세요|주실|주시|줄래|주라|주십|라|버려|버리|놔|봐|요|"
    rf"도\s*(?:돼|될까|되나|되죠|됨|되요|돼요|괜찮)|{_KO_END})"
    # the noun of the verb asked for ("logs 비우기 부탁드립니다"), or chained ("drop하고 새로 만들어")
    r"|(?:비우기|지우기|날리기|없애기|삭제하기|초기화하기)\s*(?:좀\s*)?(?:부탁|해|요|ㄱㄱ|고고|하자)"
    r"|(?:drop|truncate|delete|삭제|드롭|초기화)\s*하고(?!\s*나서)"
    rf"|(?:지우|없애|날리|비우|바꾸|고치|넣|덮어쓰)(?:자|세요|십시오|시오|라|렴){_KO_END}?"
    r"|(?:지울|없앨|날릴|바꿀|고칠)\s*수"
    # 반말 imperative followed by a reason ("다 지워 용량 아깝다", "로그 날려, 필요 없어")
    r"|(?:지워|없애|날려|비워)(?=\s*[,.!]|\s+(?!진|지|져|졌|있|둔|놓|먹))"
    # saving something changed ("해시로 바꿔서 저장해줘")
    rf"|(?:저장|기록|적재)\s*(?:해\s*줘|해\s*주|하세요|해라|해|좀\s*해|부탁)(?!\s*(?:있|놓|둔|서|둘|온|된))"
    # terse: the noun alone at the end ("debug 로그 삭제")
    rf"|(?:삭제|제거|초기화){_KO_END}"
    # "… 해결됨으로 표시해", "… WARN으로 설정해"
    r"|(?:으로|로)\s*(?:표시|마킹|설정|지정|처리|마크)\s*(?:해|하|좀)"
    # "용량 좀 줄여줘", "디스크 비워줘": freeing space is deleting logs
    r"|(?:용량|디스크|공간|스토리지)\s*(?:을|를|좀)?\s*(?:좀\s*)?(?:줄여|비워|확보|정리)"
    # "중복 로그 정리해줘", "오래된 로그 정리": tidying stored rows away
    r"|(?:중복|오래된|옛날|지난달|예전)\s*(?:\S+\s*){0,2}?(?:로그|기록|데이터|행)\S*\s*(?:좀\s*)?정리",
    re.IGNORECASE,
)


def language_of(text: str) -> str:
    return "ko" if HANGUL.search(text) else "en"


# text the question searches the logs for ("paths containing DROP TABLE", "'DROP TABLE' in request
# paths", "DROP TABLE 들어간 path"): what attackers sent, not a statement to run
_SEARCHED = re.compile(
    r"[\"'‘’“”][^\"'‘’“”]{1,200}[\"'‘’“”]"
    r"|(?<![a-z0-9_])(?:contain(?:s|ing)?|with|matching|like|including|mention(?:s|ing)?)\s+[^,;—–]{1,60}?"
    r"(?=\s*(?:[,;—–]|\s-\s|\bin\s+(?:the\s+)?(?:request\s+)?(?:paths?|urls?|messages?)\b|$))"
    r"|[a-z][a-z ]{2,40}?(?=\s+(?:in|inside)\s+(?:the\s+)?(?:request\s+)?(?:paths?|urls?|messages?|queries)\b)"
    r"|[a-z][a-z ]{2,40}?(?=\s*(?:이|가|라는|란)?\s*(?:들어간|포함된|포함한|들어있는|찍힌))",
    re.IGNORECASE,
)


def is_write_request(question: str) -> bool:
    """Whether ``question`` asks to change, delete or add logs (rather than to read them)."""
    text = _SEARCHED.sub(" ", " ".join(question.strip().split())).strip()
    if not text:
        return False
    if _SQL.search(text) or _PASSIVE.search(text) or _ADD.search(text):
        return True
    if _korean_request(text):
        return True
    return any(_clause_is_request(text, clause.end()) for clause in _CLAUSE.finditer(text))


def refusal(question: str) -> str | None:
    """The refusal, in the question's language, when ``question`` asks to change the logs."""
    return REFUSALS[language_of(question)] if is_write_request(question) else None


def _clause_is_request(text: str, start: int) -> bool:
    match = _IMPERATIVE.match(text, start)
    if match is None:
        return False
    if match.group("strong"):
        return True
    rest = re.split(_CLAUSE_END, text[match.end() :], maxsplit=1, flags=re.IGNORECASE)[0]
    return bool(_STORED.search(rest))


def _korean_request(text: str) -> bool:
    return bool(HANGUL.search(text) and _KO.search(text))
