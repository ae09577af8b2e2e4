"""Which model answers: ``LOGLENS_LLM_PROVIDER`` → a pydantic-ai model.

- ``anthropic``: Claude through the ``anthropic`` SDK (``ANTHROPIC_API_KEY``);
- ``openai``: OpenAI's Chat Completions (``OPENAI_API_KEY``);
- ``openai-compatible``: any OpenAI-style server at ``LOGLENS_LLM_BASE_URL`` (vLLM, Ollama,
  llama.cpp), with ``LOGLENS_LLM_API_KEY`` if it wants one;
- ``offline``: the built-in planner, no model at all;
- ``auto`` (default): Anthropic if its key is set, else OpenAI if its key is set, else offline.

``LOGLENS_LLM_MODEL`` picks the model; ``LOGLENS_LLM_BASE_URL`` also redirects the Anthropic
and OpenAI clients (a proxy, a gateway, or the tests' local servers).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic_ai.models import Model

from loglens.errors import ConfigurationError
from loglens.settings import Settings

DEFAULT_MODELS = {
    "anthropic": "claude-sonnet-5-5",
    "openai": "gpt-6.1-sol",
}


@dataclass(frozen=True)
class ModelChoice:
    provider: str  # anthropic, openai, openai-compatible, offline
    model: Model | None  # None for offline
    name: str  # what history and answers report as the engine

    @property
    def offline(self) -> bool:
        return self.model is None


def choose_model(settings: Settings) -> ModelChoice:
    provider = settings.llm_provider
    if provider == "auto":
        if settings.anthropic_api_key is not None:
            provider = "anthropic"
        elif settings.openai_api_key is not None:
            provider = "openai"
        else:
            provider = "offline"
    if provider == "offline":
        return ModelChoice("offline", None, "offline")
    if provider == "anthropic":
        return _anthropic(settings)
    if provider == "openai":
        return _openai(settings)
    return _openai_compatible(settings)


# The SDKs are imported only for the provider in use: the anthropic SDK alone takes seconds.


def _anthropic(settings: Settings) -> ModelChoice:
    from pydantic_ai.models.anthropic import AnthropicModel
    from pydantic_ai.providers.anthropic import AnthropicProvider

    if settings.anthropic_api_key is None:
        raise ConfigurationError("LOGLENS_LLM_PROVIDER=anthropic needs an API key: set ANTHROPIC_API_KEY")
    name = settings.llm_model or DEFAULT_MODELS["anthropic"]
    provider = AnthropicProvider(
        api_key=settings.anthropic_api_key.get_secret_value(), base_url=settings.llm_base_url
    )
    return ModelChoice("anthropic", AnthropicModel(name, provider=provider), f"anthropic:{name}")


def _openai(settings: Settings) -> ModelChoice:
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    if settings.openai_api_key is None:
        raise ConfigurationError("LOGLENS_LLM_PROVIDER=openai needs an API key: set OPENAI_API_KEY")
    name = settings.llm_model or DEFAULT_MODELS["openai"]
    provider = OpenAIProvider(api_key=settings.openai_api_key.get_secret_value(), base_url=settings.llm_base_url)
    return ModelChoice("openai", OpenAIChatModel(name, provider=provider), f"openai:{name}")


def _openai_compatible(settings: Settings) -> ModelChoice:
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    if not settings.llm_model:
        raise ConfigurationError(
            "LOGLENS_LLM_PROVIDER=openai-compatible needs LOGLENS_LLM_MODEL, the model name your server serves"
        )
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
    provider = OpenAIProvider(api_key=key, base_url=settings.llm_base_url)
    model = OpenAIChatModel(settings.llm_model, provider=provider)
    return ModelChoice("openai-compatible", model, f"openai-compatible:{settings.llm_model}")


def explain_model_error(choice: ModelChoice, status: int | None, detail: str) -> str:
    """A sentence that says which variable to fix when the provider refuses us."""
    variable = {
        "anthropic": "ANTHROPIC_API_KEY",
        "openai": "OPENAI_API_KEY",
        "openai-compatible": "LOGLENS_LLM_API_KEY",
    }.get(choice.provider, "the API key")
    if status in (401, 403):
        return f"the {choice.provider} API refused the key ({status}); check {variable}"
    if status == 404:
        return f"the {choice.provider} API does not know the model {choice.name}; check LOGLENS_LLM_MODEL"
    if status == 429:
        return f"the {choice.provider} API is rate limiting loglens; try again in a moment"
    return f"the {choice.provider} API failed ({status or 'no answer'}): {detail[:200]}"
