"""Words that carry nothing a query computes, in English and Korean (``coverage.py`` reads them).

Only function words, question words, asking verbs, politeness and Slack filler belong here —
never a word that changes what is computed ("after", "before", "since", "not", "new", "vs",
"why", "when", "change", 전/후/새/안/왜/언제): a question with one of those left unread must
not be answered as if it were absent.
"""

from __future__ import annotations

import re


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
    i'd i'm i've we've we're we'd you're you've that's it's there's here's let's i'll we'll
    understand appreciate able mind identify wondering fyi wtf btw tbh pls rn atm asap omg ugh hmm
    thing things stuff comes coming originated originating originate responsible hammering hammered
    spamming showing totals distribution distributed across whether breaking make made makes
    too verify confirm double-check sanity successful ever single
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
    봐 봐줘 봐줘요 봐주세요 봐줄래 봐줄래요 봐주라 봐봐 줄 수 있을까 있을까요 있을까 있을지 가능 가능한가요
    가능할까요 가능해 가능해요 가능합니까 궁금 궁금해 궁금해요 궁금합니다 뭐냐 뭐임 뭐니 뭔지 있냐 있음 있니
    나오나요 나와 나와요 나오는 나오냐 나왔나요 나오는지 집계 집계해 집계해줘 집계해주세요 세줘 세어줘
    계산 계산해 계산해줘 계산해주세요 뽑아줄래 뽑아줄래요 뽑아주세요 뽑아줘요 알려줄래요 알려줘요 알려주실래요
    말해줘 말해 말해주세요 체크 체크해줘 조회해줘 조회해 조회해주세요 출력 출력해줘 출력해주세요 띄워줘 정리해서
    됨 되냐 되나 돼요 되요 인지 건지 건가요 거야 거예요 거임 건데 는지 인지요 몇이야 몇인가요 몇이에요
    얼마야 얼마예요
    얼마인가요 얼만지 얼마나 어느정도 어느 정도 대략 대충 좀만 한번만 빨리 급해 급함 혹시요 저기 저기요 여기 있는
    기준 기준으로 전부다 싹 다들 모든 전체의 총합 합계 전체적으로 현황 상황 내역 결과 정보 데이터 수치 목록으로
    나기 났던거 났던 나던거 생긴거 떴던 찍혔던 찍힌거 들어온거 쌓인거 남은거 들어간 들어간거 들어있는
    지금까지 현재까지 여태 여태까지 방금 막 아까 이제
    나고 생기고 찍히고 뜨고 요청한 요청된 요청하는 호출된 완전히 컬럼 컬럼으로 칼럼 칼럼으로 열 필드
    것부터 순 순으로 구간 구간만 때 때만 끊어서 나오는데 나는데 targeted rolled 분포 일으킨 일으키는 유발한
    건씩 씩만 떠 떠있는 뜬 떠 있는 있는지만
    어케 어캐 어떰 어떤지 표 표로 테이블로 값 값들 수치로 포함 포함해서 포함한 포함해 포함해서요 다포함
    애들 애들만 녀석 녀석들 곳 곳들 곳만 경우 케이스 나란히 조합 조합별 조합들 주소
    하나 하나만 하나랑 한개 한개만 한 가운데 가운데서 가운데에서 같은 같은거 똑같은
    쪼개서 쪼개 쪼개줘 나눠줄래요 나눠줄래 그래프용으로 그래프용 차트용으로 보려고 하는데 확인좀 의심되는데 계속 쭉
    """
)
# Asking verbs in any of their endings: 알려주시겠어요, 보여주실래요, 있었는지, 확인해주십시오
KOREAN_ASKING = re.compile(
    r"^(?:알려|보여|뽑아|찾아|확인해|말해|조회해|체크해|나열해|정리해서|봐)(?:주|줘|줄|드|봐|보)[가-힣]*$"
    r"|^(?:알려|보여)줘[가-힣]*$|^있(?:었|는지|을까|나|니|음|어)[가-힣]*$|^됐[가-힣]*$|^되(?:나|니|는지|었)[가-힣]*$"
    # "happened" in any of its endings (찍혔는지, 들어왔는지, 떴던): it adds nothing to a count
    r"|^(?:찍혔|찍힌|찍히|찍은|들어왔|들어온|들어오|나왔|나온|나오|떴|뜬|났|생겼|발생했|쌓였|남았|걸렸|호출됐|호출된|호출되"
    r"|뱉은|뱉었|뱉는|뱉어|터진|터졌|터지는|맞은|맞는|맞았|받은|받는|받았)"
    r"[가-힣]*$|^차지[가-힣]*$"
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
    임 이었는지 였는지 인지요 이라 라는 엔 에선 에서는 에는
    셈 주셈 줘봐 봐 봐줘 봐요 줘요 라도 이었습니까 였습니까 입니까 습니까 이었나요
    """
)
KOREAN_ENDINGS_LONGEST_FIRST = tuple(sorted(KOREAN_ENDINGS, key=len, reverse=True))
