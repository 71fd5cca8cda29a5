// The profiles flow driven through one of Zoho's Node SDKs (nodejs-sdk-8.0, nodejs-sdk-7.0 or
// typescript-sdk-8.0, which share their API), against a running crm-profiles.
//
// The entry scripts (node8.mjs, node7.mjs, ts8.cjs) load their SDK and call runFlow(). The flow
// prints one JSON line summarising what it saw and exits non-zero on anything unexpected; the
// Rust test tests/sdk.rs starts the server, runs the entry script and checks the line.
//
// Environment (all required):
//   CRM_API_URL            API base URL, e.g. http://127.0.0.1:8080 (no trailing slash)
//   CRM_ACCOUNTS_URL       the full token endpoint URL, e.g. http://127.0.0.1:8081/oauth/v2/token
//   CRM_CLIENT_ID, CRM_CLIENT_SECRET   a self client (`crm-profiles client create`)
//   CRM_GRANT_CODE         a grant code with the profiles, users.READ and org.READ scopes
//   CRM_RESOURCE_DIR       a writable directory for the SDK's resource files
//   CRM_FLOW               `main` (the default): list, clone, get, update, duplicate clone and
//                          delete; or `narrow`: CRM_GRANT_CODE lacks the profiles scope, and
//                          listing must fail with OAUTH_SCOPE_MISMATCH.
//
// The narrow check runs in a process of its own: these SDKs cannot be initialized a second time
// in one process with a token whose user is not known yet (nodejs-sdk-8.0 crashes in
// Initializer.getEncodedKey with "Cannot read properties of undefined (reading 'length')").

const CLONE_NAME = "SDK Clone";
const RENAMED = "SDK Clone Renamed";
const PREFERRED_PERMISSION = "Crm_Implied_Delete_Leads";

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

/// The value of a Choice, or the value itself.
function choice(value) {
  return value != null && typeof value.getValue === "function" ? value.getValue() : value;
}

/// `details.id` of a success or error answer (a Map in the JS SDKs, an object in some models).
function detailId(object) {
  const details = object.getDetails();
  if (details == null) return null;
  const id = details instanceof Map ? details.get("id") : details.id;
  return id == null ? null : String(id);
}

/// A token store that lives in this process only.
function memoryStoreClass(Z) {
  // nodejs-sdk-*: a class to extend (the builder checks `instanceof`); typescript-sdk: an
  // interface only, so any object with these methods does.
  const Base = typeof Z.TokenStore?.TokenStore === "function" ? Z.TokenStore.TokenStore : Object;
  return class MemoryStore extends Base {
    constructor() {
      super();
      this.tokens = [];
      this.nextId = 1;
    }

    static same(a, b) {
      if (a === b) return true;
      const eq = (get) => get(b) != null && get(a) === get(b);
      return (
        eq((t) => t.getRefreshToken?.()) ||
        eq((t) => t.getGrantToken?.()) ||
        eq((t) => t.getAccessToken?.())
      );
    }

    async findToken(token) {
      return this.tokens.find((t) => MemoryStore.same(t, token)) ?? null;
    }

    async findTokenById(id) {
      return this.tokens.find((t) => t.getId() === id) ?? null;
    }

    async saveToken(token) {
      if (token.getId() == null) token.setId(String(this.nextId++));
      const index = this.tokens.findIndex((t) => t.getId() === token.getId());
      if (index >= 0) this.tokens[index] = token;
      else this.tokens.push(token);
    }

    async deleteToken(id) {
      this.tokens = this.tokens.filter((t) => t.getId() !== id);
    }

    async getTokens() {
      return [...this.tokens];
    }

    async deleteTokens() {
      this.tokens = [];
    }
  };
}

/// Runs the flow with the SDK namespace `Z`; `label` names the SDK in the summary.
export async function runFlow(Z, label) {
  const mode = process.env.CRM_FLOW ?? "main";
  const seen = { sdk: label, mode };
  const failures = [];
  const show = (v) => JSON.stringify(v, (_, x) => (typeof x === "bigint" ? x.toString() : x));
  const expect = (what, actual, wanted) => {
    if (actual !== wanted) failures.push(`${what}: got ${show(actual)}, want ${show(wanted)}`);
  };
  const check = (what, holds) => {
    if (!holds) failures.push(what);
  };

  try {
    if (mode === "main") await flow(Z, seen, expect, check);
    else if (mode === "narrow") await narrowFlow(Z, seen, expect);
    else throw new Error(`unknown CRM_FLOW ${mode}`);
  } catch (error) {
    const detail = JSON.stringify(error?.details ?? error?.message ?? "");
    failures.push(`thrown: ${error?.stack ?? error} ${detail}`);
  }
  seen.ok = failures.length === 0;
  if (failures.length > 0) seen.failures = failures;
  process.stdout.write(show(seen) + "\n");
  process.exitCode = seen.ok ? 0 : 1;
}

/// Initializes the SDK with the grant code of CRM_GRANT_CODE and an in-memory token store;
/// returns the token. Default settings except the URLs: findUser and updateAPIDomain stay on.
/// The code is exchanged during initialize(); findUser then reads the current user and the org
/// to name the token's user.
async function initialize(Z) {
  const api = env("CRM_API_URL");
  const environment = new Z.Environment(api, env("CRM_ACCOUNTS_URL"), api);
  const MemoryStore = memoryStoreClass(Z);
  const token = new Z.OAuthBuilder()
    .clientId(env("CRM_CLIENT_ID"))
    .clientSecret(env("CRM_CLIENT_SECRET"))
    .grantToken(env("CRM_GRANT_CODE"))
    .build();
  await (await new Z.InitializeBuilder())
    .environment(environment)
    .token(token)
    .store(new MemoryStore())
    .logger(new Z.LogBuilder().level(Z.Levels.OFF).build())
    .resourcePath(env("CRM_RESOURCE_DIR"))
    .initialize();
  return token;
}

/// The answer of an action (or an error answer of a read): the first element of the wrapper,
/// or a bare top-level answer.
function action(Z, response) {
  let object = response.getObject();
  if (object instanceof Z.Profiles.ActionWrapper) object = object.getProfiles()[0];
  const kind =
    object instanceof Z.Profiles.SuccessResponse
      ? "success"
      : object instanceof Z.Profiles.APIException
        ? "error"
        : `unparsed ${object?.constructor?.name}`;
  return {
    status: response.getStatusCode(),
    kind,
    code: object ? choice(object.getCode()) : null,
    message: object ? choice(object.getMessage()) : null,
    id: object ? detailId(object) : null,
  };
}

async function narrowFlow(Z, seen, expect) {
  const token = await initialize(Z);
  seen.user_name = token.getUserSignature()?.getName() ?? null;
  const narrow = action(Z, await new Z.Profiles.ProfilesOperations().getProfiles());
  seen.scope_mismatch = { status: narrow.status, kind: narrow.kind, code: narrow.code };
  expect("narrow status", narrow.status, 401);
  expect("narrow kind", narrow.kind, "error");
  expect("narrow code", narrow.code, "OAUTH_SCOPE_MISMATCH");
}

async function flow(Z, seen, expect, check) {
  const token = await initialize(Z);
  seen.user_name = token.getUserSignature()?.getName() ?? null;
  const accessTokens = new Set([token.getAccessToken()]);
  const note = () => accessTokens.add(token.getAccessToken());

  const operations = new Z.Profiles.ProfilesOperations();
  const listProfiles = async () => {
    const response = await operations.getProfiles();
    note();
    const object = response.getObject();
    if (!(object instanceof Z.Profiles.ResponseWrapper)) {
      const kind = object?.constructor?.name;
      throw new Error(`getProfiles answered ${response.getStatusCode()} ${kind}`);
    }
    return { status: response.getStatusCode(), profiles: object.getProfiles() };
  };
  const getProfile = async (id) => {
    const response = await operations.getProfile(id);
    note();
    const object = response.getObject();
    if (!(object instanceof Z.Profiles.ResponseWrapper)) {
      const kind = object?.constructor?.name;
      throw new Error(`getProfile answered ${response.getStatusCode()} ${kind}`);
    }
    return { status: response.getStatusCode(), profile: object.getProfiles()[0] };
  };
  const act = (response) => {
    note();
    return action(Z, response);
  };

  // List.
  const listed = await listProfiles();
  const byName = (profiles, name) => profiles.find((p) => p.getName() === name);
  const standard = byName(listed.profiles, "Standard");
  const administrator = byName(listed.profiles, "Administrator");
  if (!standard || !administrator) throw new Error("Standard or Administrator is not listed");
  const standardId = standard.getId();
  seen.list = {
    status: listed.status,
    count: listed.profiles.length,
    standard_id: standardId,
    administrator_id: administrator.getId(),
  };
  expect("list status", listed.status, 200);
  expect("Standard id type", typeof standardId, "bigint");

  // Clone Standard.
  const cloneBody = (name, description) => {
    const profile = new Z.Profiles.Profile();
    profile.setName(name);
    if (description) profile.setDescription(description);
    const body = new Z.Profiles.BodyWrapper();
    body.setProfiles([profile]);
    return body;
  };
  const description = "made by " + seen.sdk;
  const body = cloneBody(CLONE_NAME, description);
  const cloned = act(await operations.cloneProfiles(standardId, body));
  seen.clone = cloned;
  expect("clone status", cloned.status, 201);
  expect("clone code", cloned.code, "SUCCESS");
  if (cloned.id == null) throw new Error("the clone answered no id");
  const cloneId = BigInt(cloned.id);

  // Read it back.
  const got = await getProfile(cloneId);
  const permissions = got.profile.getPermissionsDetails() ?? [];
  // v7 answers no `customizable`; v8 does, and only customizable permissions change.
  const candidates = permissions.filter(
    (p) => p.getEnabled() === true && p.getCustomizable() !== false,
  );
  const chosen = candidates.find((p) => p.getName() === PREFERRED_PERMISSION) ?? candidates[0];
  if (!chosen) throw new Error("the clone has no enabled customizable permission");
  seen.get = {
    status: got.status,
    id: got.profile.getId(),
    name: got.profile.getName(),
    permissions: permissions.length,
    sections: (got.profile.getSections() ?? []).length,
    disabled_permission: chosen.getName(),
  };
  expect("get status", got.status, 200);
  expect("get name", got.profile.getName(), CLONE_NAME);
  expect("get id", got.profile.getId(), cloneId);
  check("the clone has permissions_details", permissions.length > 0);

  // Rename it and disable one permission, in one update.
  const update = new Z.Profiles.Profile();
  update.setName(RENAMED);
  const detail = new Z.Profiles.PermissionDetail();
  detail.setId(chosen.getId());
  detail.setEnabled(false);
  update.setPermissionsDetails([detail]);
  const updateBody = new Z.Profiles.BodyWrapper();
  updateBody.setProfiles([update]);
  const updated = act(await operations.updateProfile(cloneId, updateBody));
  seen.update = updated;
  expect("update status", updated.status, 200);
  expect("update code", updated.code, "SUCCESS");

  const after = await getProfile(cloneId);
  const afterPermission = (after.profile.getPermissionsDetails() ?? []).find(
    (p) => p.getId() === chosen.getId(),
  );
  seen.after_update = {
    name: after.profile.getName(),
    permission_enabled: afterPermission?.getEnabled() ?? null,
  };
  expect("name after update", after.profile.getName(), RENAMED);
  expect("permission after update", afterPermission?.getEnabled(), false);

  // A clone under a name the org already has.
  const duplicate = act(await operations.cloneProfiles(standardId, cloneBody(RENAMED)));
  seen.duplicate = duplicate;
  expect("duplicate status", duplicate.status, 404);
  expect("duplicate kind", duplicate.kind, "error");
  expect("duplicate code", duplicate.code, "DUPLICATE_DATA");

  // Delete the clone, moving its users to Standard.
  const parameters = new Z.ParameterMap();
  await parameters.add(Z.Profiles.DeleteProfileParam.TRANSFER_TO, standardId);
  const deleted = act(await operations.deleteProfile(cloneId, parameters));
  seen.delete = deleted;
  expect("delete status", deleted.status, 200);
  expect("delete code", deleted.code, "SUCCESS");

  const final = await listProfiles();
  seen.after_delete = {
    count: final.profiles.length,
    clone_listed: final.profiles.some((p) => p.getId() === cloneId),
  };
  expect("count after delete", final.profiles.length, listed.profiles.length);
  expect("clone listed after delete", seen.after_delete.clone_listed, false);

  seen.access_tokens = accessTokens.size;
}
