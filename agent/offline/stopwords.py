"""Words that carry nothing a query computes, in English and Korean (``coverage.py`` reads them).

Only function words, question words, asking verbs, politeness and Slack filler belong here —
never a word that changes what is computed ("after", "before", "since", "not", "new", "vs",
"why", "when", "change", 전/후/새/안/왜/언제): a question with one of those left unread must
not be answered as if it were absent.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ENGLISH = _words(
    """
    a an the this that these those it its it's there here their them they
    i me my we our us you your
    is are was were be been being am do does did doing done have has had having
    of for in on at to by with from about into onto within during over across throughout
    and or also just only really actually currently right now so then
    what which who whom whose how
    any some all every each whole entire overall
    please pls plz thx thanks thank kindly hey hi hello yo ok okay quick quickly
    can could would will should shall may might must
    tell show give list get got see find display pull bring look check let lets let's
    want need know like
    me up out
    there's what's how's who's where's which's
    number count total amount
    logs log logged logging entries entry lines line records record rows row events event
    happened happen happening occurred occur occurring seen appeared came come
    exist exists existing
    broken down breakdown break split grouped group
    value values
    everything anything stuff related associated regarding concerning
    ingest ingested ingesting received receive stored store
    produce produces produced producing emit emits emitted emitting generate generates generated
    throw throws threw thrown throwing raise raises raised raising encountered encounter
    return returns returned returning respond responded write writes wrote written
    hit hits affected affecting impacted experienced experiencing faced saw see seeing getting gets
    requests request calls call responses response hits
    address addresses attempts attempt tries among amongst
    taking takes take appear appears appearing s where whose
    calling called ran into plot chart graph them show up showed shown turned came
    end ends ended account accounts much reached reach visited visit got gets receive received gives give
    times time's views view viewed visits visited walked through went id ids identifier
    q idea very compute calculate calc serve served serving behind ever present single
    running reporting combos combo combinations combination pairs pair copy copies
    guys folks someone anybody somebody real urgent asap again still yet already noticed notice
    seems seem looks look looking suppose wondering wonder curious quickly briefly exactly roughly
    approximately around give gimme need needed sure whats hows
    hitting requested requesting requests' asked asking made making doing sent sending
    """
)
# What may follow a taken English word inside one token: a plural or possessive.
ENGLISH_SUFFIXES = frozenset({"s", "es", "'s", "'", "ed", "d", "ing"})

KOREAN = _words(
    """
    좀 혹시 그 이 저 거 것 건 게 걸 뭐 뭔 뭐가 뭘 무엇 어떻게 얼마 얼마야
    지금 현재 전부 모두 다 전체 각 각각 총 그냥 한번 한 번
    있어 있어요 있나 있나요 있니 있는지 있었어 있었어요 있었나 있던 있는 없어 있음
    알려줘 알려주세요 알려 알려줄래 보여줘 보여주세요 보여 보여줄래 줘 주세요 줄래 줄래요 주라
    해줘 해주세요 해 해요 부탁 부탁해 부탁해요 부탁드려요 부탁드립니다 주실래요
    뽑아줘 뽑아 찾아줘 찾아 확인 확인해줘 확인해 나열 나열해줘 정리 정리해줘
    뭐야 뭐지 뭐예요 뭔가요 인가 인가요 인지 이야 야 예요 이에요 입니다 임 냐 니
    됐어 됐나 됐어요 였어 였나 했어 했나 했어요 했는지 하는 한 된 되는 나온 나왔어 나온거
    발생 발생한 발생했어 발생했나 발생했어요 생긴 찍힌 찍혔어 쌓인 남긴 남은
    로그 기록 건수 개수 갯수 수 숫자
    요 좀요 ㅠ ㅠㅠ
    났어 났어요 났나 났나요 났는지 난 나는 나는지 나 났던 생겼어 생긴 생긴거
    낸 내는 냈어 냈나 냈던 남기는 남긴 남겼어 남긴거 겪은 겪는 겪었어 쌓인 찍힌 찍은
    관련 관련된 관련한 대한 대해 대해서 동안 사이 간
    요청 호출 응답 기준 기준으로 기준의
    걸린 걸리는 걸렸던 걸렸어 보인 보였던 보였어 있고 있는데 많은 많이 나눠줘 나눠 나눠서 나눠주세요
    때린 호출한 뜬 떴어 떴나 떴던 한테 같이 함께 대예요 대야 대
    돼요 돼 되나요 어떻게 차지하는 차지 받은 받는 넘긴 넘겼어 갔는데 방문했지만 방문한 거쳐
    나는데 나는 나던 본 봤던 보는 온 들어온 나타난 나타났어 나타났나 등장한 어때 어때요 어떤가요 어땠어 어떄
    """
)
# Never empty, even standing alone after a taken word: each changes what is computed.
KOREAN_MEANINGFUL = _words(
    """
    전 후 새 안 못 왜 더 덜 첫 끝 언제 이후 이전 부터 까지 대비 비교 처음 마지막 증가 감소 늘 줄
    """
)
# Particles and verb endings that attach to a word (longest first when stripping).
KOREAN_ENDINGS = _words(
    """
    은 는 이 가 을 를 의 에 에서 에게 로 으로 와 과 랑 이랑 하고 도 만 요 야 별로 중 중에 중에서
    쪽 쪽에서 쪽은 쪽의 치 씩 씩이었어 씩인지 짜리 동안 동안의 간
    이야 인가 인가요 인지 인데 이고 이며 이랑은 이나 나 든 이든 인
    이었어 이었어요 이었나 이었나요 였어요 였나요 였지 이었지 일까 일까요
    들 들은 들이 들을 들의
    줘 주세요 해줘 해주세요 해 해요 했어 했나 됐어 였어 있어 있나 있어요 있나요
    """
)
KOREAN_ENDINGS_LONGEST_FIRST = tuple(sorted(KOREAN_ENDINGS, key=len, reverse=True))
