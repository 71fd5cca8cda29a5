"""The profiles flow driven through Zoho's Python SDK, against a running crm-profiles.

The same script serves zohocrmsdk8-0 (/crm/v8) and zohocrmsdk7-0 (/crm/v7): both install as the
package `zohocrmsdk` with the same API, so which one runs is chosen by PYTHONPATH (one target
directory per SDK). Usage: `PYTHONPATH=.py8 python3 flow.py LABEL`.

It prints one JSON line summarising what it saw and exits non-zero on anything unexpected; the
Rust test tests/sdk.rs starts the server, runs this script and checks the line.

Environment (all required):
  CRM_API_URL          API base URL, e.g. http://127.0.0.1:8080 (no trailing slash)
  CRM_ACCOUNTS_URL     the full token endpoint URL, e.g. http://127.0.0.1:8081/oauth/v2/token
  CRM_CLIENT_ID, CRM_CLIENT_SECRET   a self client (`crm-profiles client create`)
  CRM_GRANT_CODE       a grant code; with the profiles, users.READ and org.READ scopes for
                       the main flow, with ZohoCRM.users.READ only for the narrow one
  CRM_RESOURCE_DIR     a writable directory for the SDK's resource files
  CRM_FLOW             `main` (the default): list, clone, get, update, duplicate clone and
                       delete; or `narrow`: listing must fail with OAUTH_SCOPE_MISMATCH.
"""

import json
import logging
import os
import sys
import traceback

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore
from zohocrmsdk.src.com.zoho.api.logger import Logger
from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
from zohocrmsdk.src.com.zoho.crm.api.parameter_map import ParameterMap
from zohocrmsdk.src.com.zoho.crm.api.profiles import (
    ActionWrapper,
    APIException,
    BodyWrapper,
    DeleteProfileParam,
    PermissionDetail,
    Profile,
    ProfilesOperations,
    ResponseWrapper,
    SuccessResponse,
)

CLONE_NAME = "SDK Clone"
RENAMED = "SDK Clone Renamed"
PREFERRED_PERMISSION = "Crm_Implied_Delete_Leads"


def env(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"environment variable {name} is not set")
    return value


def choice(value):
    """The value of a Choice, or the value itself."""
    return value.get_value() if hasattr(value, "get_value") else value


class MemoryStore(TokenStore):
    """A token store that lives in this process only."""

    def __init__(self):
        self.tokens = []
        self.next_id = 1

    @staticmethod
    def same(a, b):
        if a is b:
            return True
        for get in ("get_refresh_token", "get_grant_token", "get_access_token"):
            value = getattr(b, get)()
            if value is not None and getattr(a, get)() == value:
                return True
        return False

    def find_token(self, token):
        return next((t for t in self.tokens if self.same(t, token)), None)

    def find_token_by_id(self, id):
        return next((t for t in self.tokens if t.get_id() == id), None)

    def save_token(self, token):
        if token.get_id() is None:
            token.set_id(str(self.next_id))
            self.next_id += 1
        self.tokens = [t for t in self.tokens if t.get_id() != token.get_id()] + [token]

    def delete_token(self, id):
        self.tokens = [t for t in self.tokens if t.get_id() != id]

    def get_tokens(self):
        return list(self.tokens)

    def delete_tokens(self):
        self.tokens = []


def initialize():
    """Initializes the SDK with CRM_GRANT_CODE and an in-memory store; returns the token.

    Default settings except the URLs: find_user and update_api_domain stay on. The code is
    exchanged during initialize(); find_user then reads the current user and the org to name
    the token's user.
    """
    api = env("CRM_API_URL")
    environment = DataCenter.Environment(api, env("CRM_ACCOUNTS_URL"), api)
    token = OAuthToken(
        client_id=env("CRM_CLIENT_ID"),
        client_secret=env("CRM_CLIENT_SECRET"),
        grant_token=env("CRM_GRANT_CODE"),
    )
    # Logging off: the SDK has no "off" level, so its logger gets a handler that drops all.
    sdk_logger = logging.getLogger("SDKLogger")
    sdk_logger.addHandler(logging.NullHandler())
    sdk_logger.propagate = False
    Initializer.initialize(
        environment=environment,
        token=token,
        store=MemoryStore(),
        resource_path=env("CRM_RESOURCE_DIR"),
        logger=Logger.get_instance(Logger.Levels.NOTSET, None),
    )
    return token


def action(response):
    """An action's answer (or a read's error): the wrapper's first element, or a bare answer."""
    if response is None:
        return {"status": None, "kind": "no response", "code": None, "message": None, "id": None}
    obj = response.get_object()
    if isinstance(obj, ActionWrapper):
        obj = obj.get_profiles()[0]
    if isinstance(obj, SuccessResponse):
        kind = "success"
    elif isinstance(obj, APIException):
        kind = "error"
    else:
        kind = f"unparsed {type(obj).__name__}"
    details = obj.get_details() if obj is not None else None
    detail_id = details.get("id") if isinstance(details, dict) else None
    return {
        "status": response.get_status_code(),
        "kind": kind,
        "code": choice(obj.get_code()) if obj is not None else None,
        "message": choice(obj.get_message()) if obj is not None else None,
        "id": None if detail_id is None else str(detail_id),
    }


class Flow:
    def __init__(self, label, mode):
        self.seen = {"sdk": label, "mode": mode}
        self.failures = []

    def expect(self, what, actual, wanted):
        if actual != wanted or type(actual) is not type(wanted):
            self.failures.append(f"{what}: got {actual!r}, want {wanted!r}")

    def check(self, what, holds):
        if not holds:
            self.failures.append(what)

    def narrow(self):
        token = initialize()
        signature = token.get_user_signature()
        self.seen["user_name"] = signature.get_name() if signature is not None else None
        narrow = action(ProfilesOperations().get_profiles())
        self.seen["scope_mismatch"] = {k: narrow[k] for k in ("status", "kind", "code")}
        self.expect("narrow status", narrow["status"], 401)
        self.expect("narrow kind", narrow["kind"], "error")
        self.expect("narrow code", narrow["code"], "OAUTH_SCOPE_MISMATCH")

    def main(self):
        seen = self.seen
        token = initialize()
        signature = token.get_user_signature()
        seen["user_name"] = signature.get_name() if signature is not None else None
        access_tokens = {token.get_access_token()}

        def note(response):
            access_tokens.add(token.get_access_token())
            return response

        operations = ProfilesOperations()

        def read(response, what):
            note(response)
            obj = response.get_object() if response is not None else None
            if not isinstance(obj, ResponseWrapper):
                status = response.get_status_code() if response is not None else None
                raise RuntimeError(f"{what} answered {status} {type(obj).__name__}")
            return response.get_status_code(), obj.get_profiles()

        # List.
        list_status, profiles = read(operations.get_profiles(), "get_profiles")
        by_name = {p.get_name(): p for p in profiles}
        if "Standard" not in by_name or "Administrator" not in by_name:
            raise RuntimeError("Standard or Administrator is not listed")
        standard_id = by_name["Standard"].get_id()
        seen["list"] = {
            "status": list_status,
            "count": len(profiles),
            "standard_id": str(standard_id),
            "administrator_id": str(by_name["Administrator"].get_id()),
        }
        self.expect("list status", list_status, 200)
        self.expect("Standard id type", type(standard_id).__name__, "int")

        # Clone Standard.
        def clone_body(name, description=None):
            profile = Profile()
            profile.set_name(name)
            if description is not None:
                profile.set_description(description)
            body = BodyWrapper()
            body.set_profiles([profile])
            return body

        description = "made by " + seen["sdk"]
        body = clone_body(CLONE_NAME, description)
        cloned = action(note(operations.clone_profiles(standard_id, body)))
        seen["clone"] = cloned
        self.expect("clone status", cloned["status"], 201)
        self.expect("clone code", cloned["code"], "SUCCESS")
        if cloned["id"] is None:
            raise RuntimeError("the clone answered no id")
        clone_id = int(cloned["id"])

        # Read it back.
        status, got = read(operations.get_profile(clone_id), "get_profile")
        profile = got[0]
        permissions = profile.get_permissions_details() or []
        # v7 answers no `customizable`; v8 does, and only customizable permissions change.
        candidates = [
            p for p in permissions if p.get_enabled() is True and p.get_customizable() is not False
        ]
        chosen = next((p for p in candidates if p.get_name() == PREFERRED_PERMISSION), None)
        chosen = chosen or (candidates[0] if candidates else None)
        if chosen is None:
            raise RuntimeError("the clone has no enabled customizable permission")
        seen["get"] = {
            "status": status,
            "id": str(profile.get_id()),
            "name": profile.get_name(),
            "permissions": len(permissions),
            "sections": len(profile.get_sections() or []),
            "disabled_permission": chosen.get_name(),
        }
        self.expect("get status", status, 200)
        self.expect("get name", profile.get_name(), CLONE_NAME)
        self.expect("get id", profile.get_id(), clone_id)
        self.check("the clone has permissions_details", len(permissions) > 0)

        # Rename it and disable one permission, in one update.
        update = Profile()
        update.set_name(RENAMED)
        detail = PermissionDetail()
        detail.set_id(chosen.get_id())
        detail.set_enabled(False)
        update.set_permissions_details([detail])
        body = BodyWrapper()
        body.set_profiles([update])
        updated = action(note(operations.update_profile(clone_id, body)))
        seen["update"] = updated
        self.expect("update status", updated["status"], 200)
        self.expect("update code", updated["code"], "SUCCESS")

        _, after = read(operations.get_profile(clone_id), "get_profile")
        after_permission = next(
            (p for p in after[0].get_permissions_details() or [] if p.get_id() == chosen.get_id()),
            None,
        )
        seen["after_update"] = {
            "name": after[0].get_name(),
            "permission_enabled": after_permission.get_enabled() if after_permission else None,
        }
        self.expect("name after update", after[0].get_name(), RENAMED)
        self.expect("permission after update", seen["after_update"]["permission_enabled"], False)

        # A clone under a name the org already has.
        duplicate = action(note(operations.clone_profiles(standard_id, clone_body(RENAMED))))
        seen["duplicate"] = duplicate
        self.expect("duplicate status", duplicate["status"], 404)
        self.expect("duplicate kind", duplicate["kind"], "error")
        self.expect("duplicate code", duplicate["code"], "DUPLICATE_DATA")

        # Delete the clone, moving its users to Standard.
        parameters = ParameterMap()
        parameters.add(DeleteProfileParam.transfer_to, standard_id)
        deleted = action(note(operations.delete_profile(clone_id, parameters)))
        seen["delete"] = deleted
        self.expect("delete status", deleted["status"], 200)
        self.expect("delete code", deleted["code"], "SUCCESS")

        _, final = read(operations.get_profiles(), "get_profiles")
        seen["after_delete"] = {
            "count": len(final),
            "clone_listed": any(p.get_id() == clone_id for p in final),
        }
        self.expect("count after delete", len(final), len(profiles))
        self.expect("clone listed after delete", seen["after_delete"]["clone_listed"], False)

        seen["access_tokens"] = len(access_tokens)


def run():
    label = sys.argv[1] if len(sys.argv) > 1 else "python"
    mode = os.environ.get("CRM_FLOW", "main")
    flow = Flow(label, mode)
    try:
        if mode == "main":
            flow.main()
        elif mode == "narrow":
            flow.narrow()
        else:
            raise RuntimeError(f"unknown CRM_FLOW {mode}")
    except Exception as error:  # noqa: BLE001 - every failure goes into the summary
        detail = getattr(error, "details", None) or getattr(error, "cause", None)
        flow.failures.append(f"thrown: {traceback.format_exc()} {detail!r}")
    flow.seen["ok"] = not flow.failures
    if flow.failures:
        flow.seen["failures"] = flow.failures
    print(json.dumps(flow.seen), flush=True)
    return 0 if flow.seen["ok"] else 1


if __name__ == "__main__":
    sys.exit(run())
