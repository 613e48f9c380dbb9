"""``hub init``: the starting config.

config/hub.example.toml is this text; a test keeps them equal.
"""

from __future__ import annotations

from pathlib import Path

from .errors import ConfigError

STARTER = """\
# Pablik Hub configuration.
# Found at --config PATH, else $HUB_CONFIG, else ./config/hub.toml.
# Secrets never go in this file: each account names the environment variable
# that holds its token (token_env).

[database]
path = "hub.db"                 # relative to this file's folder; --db or $HUB_DB overrides
                                # (on a server: "/var/lib/pablik-hub/hub.db", docs/install.md)

[ui]
# language = "ru"               # the CLI's language: "ru" or "en"; default: the locale (LANG)

[sync]
recent_window_days = 30         # posts this young get their comments re-checked when counters move
reconcile_hours = 24            # and re-read once in this many hours even if counters did not
                                # (a comment swapped or edited), spread over the syncs; 0 = off

[networks.vk]
api_base = "https://api.vk.ru/method"   # tests and proxies point this elsewhere
api_version = "5.199"
requests_per_second = 3         # per token; VK allows 3 for a user token
events_wait_seconds = 25        # Bots Long Poll wait, for accounts with events_token_env
# Bounds of every request; the same four keys go in [networks.ok] and [networks.telegram].
# Past one, the request fails as a transient error (retried, then the account fails).
connect_timeout_seconds = 10
timeout_seconds = 30            # the longest silence while reading an answer
total_timeout_seconds = 120     # the whole request: a trickling answer ends here (a long poll
                                # gets its wait on top, an upload 8 s more per MiB it sends)
max_answer_mb = 32              # a larger answer is cut off instead of filling the memory

[networks.ok]
api_base = "https://api.ok.ru/fb.do"
application_key = ""            # your OK application's public key (needed for OK accounts)
application_secret_key_env = "HUB_OK_APP_SECRET"   # the variable with the application's secret
requests_per_second = 2         # per token; OK publishes no figure, 1-3 is safe
timeout_seconds = 30

[networks.telegram]
api_base = "https://api.telegram.org"
poll_timeout_seconds = 0        # 0: read what is queued and stop; up to 50 for long polling
max_retry_after_seconds = 60    # a longer flood wait pauses the account instead

[moderation]
allow_domains = []              # the municipality's own sites: links there are never spam
allow_phones = []               # official numbers besides 8-800 hotlines and 112
unlawful_words = []             # extra words for the unlawful-content lexicon
# Floods: one author repeating a text is spam whatever it says; the same text from several
# authors goes to review only when it looks like a campaign — a link, phone, e-mail, @mention or
# sales pitch in it, or a long text word for word («Спасибо, что предупредили» never is).
flood_min_authors = 3           # authors, this comment's included, of one campaign text
flood_repeats = 3               # copies by one author, this one included
flood_similarity = 0.8          # share of words in common for two texts to be "the same" (0-1)
flood_long_words = 12           # from this many words identical texts need no link or number

[moderation.policy]             # every organization's default
delete = ["obscene", "spam"]    # deleted at once
review = ["insult", "aggression", "unlawful"]   # wait for an operator: 'hub moderation queue'
spam_restrict = { action = "ban", days = 7 }    # spam: banned at once, for 7 days (0 = for good)
repeat_offenders = { violations = 3, within_days = 30, action = "mute", days = 7 }
# action = "mute" mutes where the network can (Telegram); VK bans instead, OK blocks while deleting
# A complaint in obscene words: "delete" it (the acts require obscenity deleted; its appeal stays
# open, the text kept masked, to be answered) or "review" (a person decides)
obscene_criticism = "delete"

# A stricter policy for one organization (named as in its accounts' organization = "..."):
# [moderation.organizations."МБОУ «Амурзетская СОШ»"]
# delete = ["obscene", "spam", "insult"]
# review = ["aggression", "unlawful"]

[appeals]                       # residents' questions, complaints, requests: 'hub appeals list'
answer_within_hours = 24        # the regional centres' rule: an answer within a day
working_days = false            # true: the clock stops on weekends and holidays
# working_hours = "09:00-18:00" # the clock runs only in these hours ([plan] time_zone)
places = []                     # for watch = true pages: settlements, streets, institutions
look_back_days = 1              # the first pass looks a day back: no week of overdue at once
# [appeals.topics]              # replaces the default topics (ЖКХ, дороги, транспорт, …)
# ЖКХ = ["отоплен", "батаре", "мусор"]
# [appeals.organizations."Администрация Клочковского сельсовета"]
# answer_within_hours = 48

[daemon]                        # 'hub daemon': how often each thing runs, in seconds
sync_seconds = { vk = 300, ok = 600, telegram = 30 }
# account_sync_seconds = { "klochki-vk" = 60 }   # one account more or less often
moderate_seconds = 120
notices_seconds = 3600
report_seconds = 86400          # the push to Gospabliki, once [gospabliki] is set
publish_seconds = 60            # approved drafts of the content plan go out when due

[plan]                          # the content plan and the weekly compliance report
time_zone = "Europe/Moscow"     # the municipality's: publication times and weeks are counted here
posts_per_week = 3              # the norm (the acts ask for 2-5 posts a week)
lint_threshold = 40             # approval warns above this bureaucratese score (0-100)
# norms = { "МБОУ «Амурзетская СОШ»" = 2 }   # an organization's own norm

[compliance]                    # 'hub compliance': how fast offending comments must go
removal_green_minutes = 60      # gone within an hour: green
removal_yellow_minutes = 1440   # within a day: yellow; longer, or still up: red

# [registry]                    # the published registry ('hub registry export')
# municipality = "Клочковский муниципальный район"   # its header and title; unset: the one
#                                 # administration that belongs to no other, if there is one

# [gospabliki]
# endpoint = "https://gospabliki.example/api/v1"  # 'hub gospabliki-stub' serves a local one
# token_env = "HUB_GOSPABLIKI_TOKEN"
# municipality = "Октябрьский район"

# One [[accounts]] table per official account.
# [[accounts]]
# id = "klochki-vk"               # local name, unique
# network = "vk"
# external_id = "123456"          # the community (group) id or its screen name
# organization = "Администрация Клочковского сельсовета"
# token_env = "HUB_VK_TOKEN_KLOCHKI"   # admin user token of that community
# events_token_env = "HUB_VK_EVENTS_KLOCHKI"   # optional: community token for Bots Long Poll
# existing_since = 2021-03-01     # the page existed before the hub: no "account created" notice
#                                 # (the pages of the first config are taken as existing anyway)
#
# [[accounts]]
# id = "klochki-ok"
# network = "ok"
# external_id = "70000001234567"  # the group id
# organization = "Администрация Клочковского сельсовета"   # as named in [[organizations]]
# token_env = "HUB_OK_TOKEN_KLOCHKI"   # user token of a group administrator
# created = 2025-11-20            # a page new to the world: its 10-day notice runs from this day
"""


def write_starter(path: Path) -> None:
    if path.exists():
        raise ConfigError(f"{path} already exists; edit it, or remove it to start again")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(STARTER, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc}") from None
