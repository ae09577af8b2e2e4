"""Ask loglens in Slack: mentions, direct messages and ``/loglens``, answered in the thread.

app.py       the Bolt app, its two transports (HTTP /slack/events, Socket Mode), start/stop
handlers.py  listeners → one task per answer: placeholder, paced updates, final answer
render.py    Block Kit views built from the agent's events
threads.py   question text, a thread's earlier questions, duplicate deliveries
throttle.py  update pacing per message, question rate per user
"""
