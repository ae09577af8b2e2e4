"""A one-file Django app with one log per request: ``python django_app.py runserver``
(pip install django)."""

from __future__ import annotations

import logging
import os
import sys

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import path

import loglens_exporter

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    SECRET_KEY="example-only",
    MIDDLEWARE=["loglens_exporter.integrations.django.LoglensMiddleware"],
    LOGGING_CONFIG=None,  # keep the handler configure() puts on the root logger
)
loglens_exporter.configure(service="accounts-web", endpoint=os.environ.get("LOGLENS_URL", "http://localhost:4318"))
log = logging.getLogger("accounts")


def account(_request: HttpRequest, user_id: str) -> JsonResponse:
    loglens_exporter.set_user(user_id)
    log.info("account shown")
    return JsonResponse({"user": user_id})


def boom(_request: HttpRequest) -> JsonResponse:
    raise RuntimeError("the accounts database is read-only")


urlpatterns = [path("accounts/<str:user_id>", account), path("boom", boom)]

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
