//! The one error type of the REST surface, rendered in Zoho's wire format.
//!
//! Request-level errors (URL, method, token, scope, permission, path id) are a single object
//! `{"code","details","message","status":"error"}`. Errors about the request body are wrapped
//! the way Zoho wraps them: `{"profiles":[{…}]}`. `details` is always an object.
//!
//! Two conditions answer differently by [`ErrorStyle`]: Zoho's clone docs give a duplicate name
//! and the profile limit HTTP 404, while Zoho's OpenAPI file gives them 400 and names the limit
//! code `LICENSE_LIMIT_EXCEEDED`. Handlers never choose; [`render_errors`] does, in one place.

use std::borrow::Cow;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::AppState;

/// The content type Zoho sends with every JSON answer.
pub const ZOHO_JSON: &str = "application/json;charset=UTF-8";

/// Which of Zoho's two descriptions of the clone errors to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ErrorStyle {
    /// Zoho's clone documentation: duplicate name and profile limit answer 404.
    #[default]
    Docs,
    /// Zoho's OpenAPI file: both answer 400, the limit as `LICENSE_LIMIT_EXCEEDED`.
    Oas,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidUrlPattern,
    InvalidRequestMethod,
    AuthenticationFailure,
    InvalidToken,
    OauthScopeMismatch,
    NoPermission,
    InvalidData(Cow<'static, str>),
    MandatoryNotFound,
    /// `styled`: the clone call, whose status follows [`ErrorStyle`]; elsewhere always 400.
    DuplicateData {
        styled: bool,
    },
    ProfileLimitExceeded,
    NotAllowed(&'static str),
    /// DELETE without `transfer_to`: Zoho's docs and OpenAPI file name it differently.
    TransferToMissing,
    PayloadTooLarge,
    RequestTimeout,
    Internal,
}

/// An error answer. Build it with the constructors below; it becomes a response through
/// [`render_errors`], which knows the server's [`ErrorStyle`].
#[derive(Debug, Clone)]
pub struct ApiError {
    kind: ErrorKind,
    details: Map<String, Value>,
    /// The body's array this error is about (`profiles`, `users`): it is then wrapped as
    /// `{"profiles":[…]}`, as Zoho wraps errors about a request body.
    wrapped_in: Option<&'static str>,
}

impl ApiError {
    fn new(kind: ErrorKind) -> Self {
        Self { kind, details: Map::new(), wrapped_in: None }
    }

    fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_owned(), value.into());
        self
    }

    /// Marks the error as being about the body's `profiles` array.
    pub fn in_body(mut self) -> Self {
        self.wrapped_in = Some("profiles");
        self
    }

    /// Moves a body error under another array of the body, such as `users`.
    pub fn under(mut self, array: &'static str) -> Self {
        if self.wrapped_in.is_some() {
            self.wrapped_in = Some(array);
        }
        self
    }

    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    pub fn invalid_url_pattern() -> Self {
        Self::new(ErrorKind::InvalidUrlPattern)
    }

    pub fn invalid_request_method() -> Self {
        Self::new(ErrorKind::InvalidRequestMethod)
    }

    pub fn authentication_failure() -> Self {
        Self::new(ErrorKind::AuthenticationFailure)
    }

    pub fn invalid_token() -> Self {
        Self::new(ErrorKind::InvalidToken)
    }

    pub fn scope_mismatch() -> Self {
        Self::new(ErrorKind::OauthScopeMismatch)
    }

    pub fn no_permission(permission: &str) -> Self {
        Self::new(ErrorKind::NoPermission).detail("permissions", json!([permission]))
    }

    /// A path id that is malformed or names nothing the caller's org holds.
    pub fn invalid_path_id(resource_path_index: u32) -> Self {
        Self::new(ErrorKind::InvalidData(
            "the id given seems to be invalid or already deleted".into(),
        ))
        .detail("resource_path_index", resource_path_index)
    }

    /// A body that is not a JSON object.
    pub fn body_not_json() -> Self {
        Self::new(ErrorKind::InvalidData("the request body is not a valid JSON object".into()))
            .detail("api_name", "body")
            .detail("expected_data_type", "jsonobject")
    }

    /// A request that took longer than the server allows (see `http::REQUEST_TIMEOUT`).
    pub fn request_timeout() -> Self {
        Self::new(ErrorKind::RequestTimeout)
    }

    pub fn payload_too_large(maximum_bytes: usize) -> Self {
        Self::new(ErrorKind::PayloadTooLarge).detail("maximum_length", maximum_bytes)
    }

    /// A required field of the body is absent, `null` or empty.
    pub fn mandatory_field(api_name: &str, json_path: &str) -> Self {
        Self::new(ErrorKind::MandatoryNotFound)
            .detail("api_name", api_name)
            .detail("json_path", json_path)
            .in_body()
    }

    /// A field of the body has the wrong JSON type.
    pub fn wrong_type(api_name: &str, json_path: &str, expected: &str) -> Self {
        Self::field_invalid(api_name, json_path).detail("expected_data_type", expected)
    }

    /// A field or array of the body is longer than allowed.
    pub fn too_long(api_name: &str, json_path: &str, maximum: usize) -> Self {
        Self::field_invalid(api_name, json_path).detail("maximum_length", maximum)
    }

    /// An array of the body that must not be empty.
    pub fn empty_array(api_name: &str, json_path: &str) -> Self {
        Self::field_invalid(api_name, json_path)
    }

    /// A field with characters Zoho forbids; the message names them as Zoho's does.
    pub fn forbidden_characters(api_name: &str, json_path: &str, chars: &[char]) -> Self {
        let listed: Vec<String> = chars
            .iter()
            .map(|&c| {
                let unseen = c.is_control() || crate::domain::names::is_invisible(c);
                if unseen { c.escape_unicode().to_string() } else { c.to_string() }
            })
            .collect();
        let message = format!(
            "Profile name should not contain the following special character(s) : {}",
            listed.join(", ")
        );
        Self::new(ErrorKind::InvalidData(message.into()))
            .detail("api_name", api_name)
            .detail("json_path", json_path)
            .in_body()
    }

    /// A field whose value is not one the API takes.
    pub fn field_invalid(api_name: &str, json_path: &str) -> Self {
        Self::new(ErrorKind::InvalidData("invalid data".into()))
            .detail("api_name", api_name)
            .detail("json_path", json_path)
            .in_body()
    }

    /// A name another profile of the org has, on clone (status by [`ErrorStyle`]).
    pub fn duplicate_name(json_path: &str) -> Self {
        Self::new(ErrorKind::DuplicateData { styled: true })
            .detail("api_name", "name")
            .detail("json_path", json_path)
            .in_body()
    }

    /// A name another profile of the org has, on update (always 400, as Zoho's OpenAPI file).
    pub fn duplicate_name_on_update(json_path: &str) -> Self {
        Self::duplicate_field("name", json_path)
    }

    /// A value that must be unique in the org and is not (always 400).
    pub fn duplicate_field(api_name: &str, json_path: &str) -> Self {
        Self::new(ErrorKind::DuplicateData { styled: false })
            .detail("api_name", api_name)
            .detail("json_path", json_path)
            .in_body()
    }

    /// A field of the body whose change Zoho never allows.
    pub fn field_not_allowed(api_name: &str, json_path: &str, message: &'static str) -> Self {
        Self::new(ErrorKind::NotAllowed(message))
            .detail("api_name", api_name)
            .detail("json_path", json_path)
            .in_body()
    }

    /// A permission entry of an update that Zoho refuses, with Zoho's message.
    pub fn permission_entry(json_path: &str, message: &'static str) -> Self {
        Self::new(ErrorKind::InvalidData(message.into()))
            .detail("api_name", "id")
            .detail("json_path", json_path)
            .in_body()
    }

    /// An action on a system profile, or another action Zoho never allows.
    pub fn not_allowed(resource_path_index: u32, message: &'static str) -> Self {
        Self::new(ErrorKind::NotAllowed(message)).detail("resource_path_index", resource_path_index)
    }

    /// A query parameter with a value outside what it takes.
    pub fn invalid_param(param_name: &str) -> Self {
        Self::new(ErrorKind::InvalidData("invalid data".into())).detail("param_name", param_name)
    }

    /// An `X-CRM-ORG` header naming an org the token does not belong to.
    pub fn org_mismatch() -> Self {
        Self::new(ErrorKind::InvalidData("the token does not belong to the org given".into()))
            .detail("header_name", "X-CRM-ORG")
    }

    pub fn transfer_to_missing() -> Self {
        Self::new(ErrorKind::TransferToMissing)
    }

    /// A `transfer_to` that is malformed, is the profile being deleted, or names nothing.
    pub fn invalid_transfer_to(value: &str) -> Self {
        Self::new(ErrorKind::InvalidData(
            "the id given seems to be invalid or already deleted".into(),
        ))
        .detail("id", value)
    }

    pub fn profile_limit(limit: i64) -> Self {
        Self::new(ErrorKind::ProfileLimitExceeded).detail("limit", limit).in_body()
    }

    /// A failure of the server itself; the cause goes to the log, never to the client.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "request failed inside the server");
        Self::new(ErrorKind::Internal)
    }

    fn status_code_message(
        &self,
        style: ErrorStyle,
    ) -> (StatusCode, &'static str, Cow<'static, str>) {
        use ErrorKind::*;
        let not_found_in_docs =
            if style == ErrorStyle::Docs { StatusCode::NOT_FOUND } else { StatusCode::BAD_REQUEST };
        match &self.kind {
            InvalidUrlPattern => (
                StatusCode::NOT_FOUND,
                "INVALID_URL_PATTERN",
                "Please check if the URL trying to access is a correct one".into(),
            ),
            InvalidRequestMethod => (
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST_METHOD",
                "The http request method type is not a valid one".into(),
            ),
            AuthenticationFailure => {
                (StatusCode::UNAUTHORIZED, "AUTHENTICATION_FAILURE", "Authentication failed".into())
            }
            InvalidToken => {
                (StatusCode::UNAUTHORIZED, "INVALID_TOKEN", "invalid oauth token".into())
            }
            OauthScopeMismatch => (
                StatusCode::UNAUTHORIZED,
                "OAUTH_SCOPE_MISMATCH",
                "invalid oauth scope to access this URL".into(),
            ),
            NoPermission => (StatusCode::FORBIDDEN, "NO_PERMISSION", "permission denied".into()),
            InvalidData(message) => (StatusCode::BAD_REQUEST, "INVALID_DATA", message.clone()),
            MandatoryNotFound => {
                (StatusCode::BAD_REQUEST, "MANDATORY_NOT_FOUND", "required field not found".into())
            }
            DuplicateData { styled: true } => {
                (not_found_in_docs, "DUPLICATE_DATA", "duplicate data".into())
            }
            DuplicateData { styled: false } => {
                (StatusCode::BAD_REQUEST, "DUPLICATE_DATA", "duplicate data".into())
            }
            NotAllowed(message) => (StatusCode::BAD_REQUEST, "NOT_ALLOWED", (*message).into()),
            ProfileLimitExceeded => match style {
                ErrorStyle::Docs => (
                    StatusCode::NOT_FOUND,
                    "PROFILE_LIMIT_EXCEEDED",
                    "the maximum number of profiles for this organization has been reached".into(),
                ),
                ErrorStyle::Oas => (
                    StatusCode::BAD_REQUEST,
                    "LICENSE_LIMIT_EXCEEDED",
                    "Request exceeds your license limit.".into(),
                ),
            },
            TransferToMissing => match style {
                ErrorStyle::Docs => (
                    StatusCode::BAD_REQUEST,
                    "REQUIRED_PARAM_MISSING",
                    "One of the expected parameter is missing".into(),
                ),
                ErrorStyle::Oas => (
                    StatusCode::BAD_REQUEST,
                    "MANDATORY_NOT_FOUND",
                    "Users in the profile need to be transferred. transfer_to param is mandatory."
                        .into(),
                ),
            },
            RequestTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                "REQUEST_TIMEOUT",
                "the request took longer than the server allows".into(),
            ),
            PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "INVALID_DATA",
                "the request body is larger than the server accepts".into(),
            ),
            Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_ERROR",
                "Problem occurred internally".into(),
            ),
        }
    }

    /// The response in the given style.
    pub fn render(&self, style: ErrorStyle) -> Response {
        let (status, code, message) = self.status_code_message(style);
        let details = match (&self.kind, style) {
            (ErrorKind::TransferToMissing, ErrorStyle::Docs) => {
                json!({ "param_name": "transfer_to" })
            }
            (ErrorKind::TransferToMissing, ErrorStyle::Oas) => json!({ "param": "transfer_to" }),
            _ => Value::Object(self.details.clone()),
        };
        let error = json!({
            "code": code,
            "details": details,
            "message": message,
            "status": "error",
        });
        let body = match self.wrapped_in {
            Some(array) => json!({ array: [error] }),
            None => error,
        };
        json_response(status, &body)
    }
}

impl IntoResponse for ApiError {
    /// Defers rendering to [`render_errors`]: the style is a server setting the handler does
    /// not see. The placeholder status is what a router without that middleware would send.
    fn into_response(self) -> Response {
        let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> Self {
        ApiError::internal(&error)
    }
}

/// Middleware that turns every [`ApiError`] into Zoho's body in the server's style, and logs
/// client errors at info (server errors were logged where they arose).
pub async fn render_errors(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    match response.extensions_mut().remove::<ApiError>() {
        Some(error) => {
            let rendered = error.render(state.error_style);
            if rendered.status().is_client_error() {
                let status = rendered.status().as_u16();
                tracing::info!(status, code = ?error.kind, "request refused");
            }
            rendered
        }
        None => response,
    }
}

/// Serialises `body` with Zoho's JSON content type.
pub fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => json_bytes_response(status, bytes),
        Err(error) => ApiError::internal(&error).render(ErrorStyle::default()),
    }
}

/// An answer whose body is JSON already serialized.
pub fn json_bytes_response(status: StatusCode, bytes: Vec<u8>) -> Response {
    let mut response = (status, bytes).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ZOHO_JSON));
    response
}
