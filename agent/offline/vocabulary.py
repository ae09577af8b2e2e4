"""The English words the planner reads, spelled right: what ``spelling.py`` corrects a misspelled
word to ("authentcation" → "authentication", "timout" → "timeout"). Data only; names from the
data (services, error types, metadata keys) are added to it per question, never listed here."""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


WORDS = _words(
    """
    error errors erroring errored exception exceptions failure failures failed failing fail fails
    fatal fatals warning warnings warn debug info trace traces critical crash crashes crashed
    timeout timeouts latency latencies duration durations response responses request requests
    service services endpoint endpoints path paths route routes method methods status statuses
    code codes version versions release releases deploy deploys deployment deployments rollout
    environment environments production staging development region regions browser browsers
    device devices host hosts session sessions user users account accounts login logins logout
    authentication authenticate authorization database connection connections upstream gateway
    payment payments order orders search inventory notification notifications checkout frontend
    backend mobile worker workers application applications website page pages load loading
    message messages log logs logged logging entry entries line lines record records event events
    count counts number total totals average median percentile percent percentage share ratio
    rate rates fraction proportion maximum minimum peak slowest fastest slower faster slow fast
    latest earliest newest oldest recent recently first last previous prior before after since
    today yesterday tomorrow week weeks weekly day days daily hour hours hourly minute minutes
    second seconds month months morning afternoon evening night midnight noon
    between during within over under above below more less fewer than most least top bottom
    each every per group grouped breakdown distribution distinct unique different duplicate
    duplicates duplicated repeated compare compared comparison versus increase decrease spike
    trend timeline histogram chart graph series bucket buckets interval intervals window windows
    show list display give tell find count which what when where who how many much why
    common frequent frequently noisy noisiest busiest biggest largest highest lowest worst best
    affected impacted causing caused throwing thrown returned returning happened happening
    occurred occurring appeared seen never new unseen without missing null empty size length
    characters bytes stack traceback timestamp timestamps time times date dates
    address addresses agent metadata level levels severity type types kind kinds category
    please thanks thank quick quickly question
    chars char giant huge large long big side sides box boxes node nodes instance instances cluster
    tablet tablets phone phones desktop android chrome safari firefox deployed deploying shipped
    released rolled restart restarted crashed throttled blocked denied refused rejected dropped
    lost slower faster higher lower worse better above below today's yesterday's
    table tables column columns select union insert delete update truncate script
    """
)
# English words a letter added or dropped away from one the planner reads, which people write
# meaning themselves: never corrected ("patch" is not "path", "timers" not "times"; a letter changed
# in a short word, "newer" and "never", is never corrected at all: spelling._substituted)
LOOKALIKES = _words("browse patch coders liners pagers raters routers timers tracers")
