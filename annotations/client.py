"""The Label Studio client (label-studio-sdk 2.x) and project lookup; the API key never leaves the client."""

from __future__ import annotations

import os

from govreport.annotations.labelconfig import label_config
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

API_KEY_ENV = "LABEL_STUDIO_API_KEY"


class ConfigError(RuntimeError):
    """Missing key, unknown project: something the user must fix before the command can run."""


def connect(url: str, api_key: str | None = None, timeout: float = 120.0) -> LabelStudio:
    """A client for ``url``; the key comes from ``LABEL_STUDIO_API_KEY`` (never from the command line)."""
    key = api_key or os.environ.get(API_KEY_ENV)
    if not key:
        raise ConfigError(
            f"set {API_KEY_ENV} to a Label Studio access token (Account & Settings → Access Token)"
        )
    return LabelStudio(base_url=url.rstrip("/"), api_key=key, timeout=timeout)


def find_project(client: LabelStudio, project: str) -> int | None:
    """The id of ``project`` given as an id or an exact title; None when absent."""
    if project.isdigit():
        try:
            return int(client.projects.get(int(project)).id)
        except ApiError as err:
            if err.status_code == 404:
                return None
            raise
    for p in client.projects.list(title=project):
        if p.title == project:
            return int(p.id)
    return None


def ensure_project(client: LabelStudio, project: str, description: str = "") -> int:
    """The id of ``project``, creating it (by title, with our labelling config) when absent."""
    pid = find_project(client, project)
    if pid is not None:
        return pid
    if project.isdigit():
        raise ConfigError(f"project id {project} does not exist; give a title to create a project")
    # Sequential sampling: annotators get tasks in import order, which push makes the ranking order.
    created = client.projects.create(
        title=project, label_config=label_config(), description=description, sampling="Sequential sampling"
    )
    return int(created.id)


def project_id(client: LabelStudio, project: str) -> int:
    """The id of an existing ``project`` (id or title), or a clear error."""
    pid = find_project(client, project)
    if pid is None:
        raise ConfigError(f"no Label Studio project titled {project!r}")
    return pid
