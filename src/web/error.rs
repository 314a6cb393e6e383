//! The web layer's one error type: JSON errors as in ../shared/api.md, with status codes by cause.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::storage::StorageError;

/// An error answered to a client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Bad input: 400, naming the field when one is at fault.
    #[error("{message}")]
    Invalid {
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    /// Several fields are wrong (a form): 400 naming the first, with every one under `fields`.
    #[error("{}", .0.first().map(|e| e.message.as_str()).unwrap_or("invalid input"))]
    Fields(Vec<crate::domain::identity::FieldError>),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    /// Input understood but refused as a whole (an import with errors); the body carries the details.
    #[error("{message}")]
    Unprocessable {
        message: String,
        details: serde_json::Value,
    },
    #[error("too many failed attempts; try again in {retry_after} seconds")]
    TooManyAttempts { retry_after: u64 },
    #[error("the service is not ready: {0}")]
    Unavailable(String),
    /// Anything else: 500 with an opaque message; the cause goes to the log.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Invalid {
            code: "invalid",
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::Invalid { code, .. } => code,
            ApiError::Fields(_) => "invalid",
            ApiError::NotFound => "not_found",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::Conflict(_) => "conflict",
            ApiError::Unprocessable { .. } => "unprocessable",
            ApiError::TooManyAttempts { .. } => "too_many_attempts",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Conflict(m) => ApiError::Conflict(m),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable snake_case code.
    pub code: String,
    pub message: String,
    /// The field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Invalid { .. } | ApiError::Fields(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match self {
            ApiError::Internal(cause) => {
                tracing::error!(cause = %cause, "internal error");
                "something went wrong on our side; it has been logged".to_owned()
            }
            ApiError::Unavailable(cause) => {
                tracing::warn!(cause = %cause, "not ready");
                "the service is starting or its database is unreachable".to_owned()
            }
            other => other.to_string(),
        };
        let field = match self {
            ApiError::Invalid { field, .. } => field.clone(),
            ApiError::Fields(list) => list.first().map(|e| e.field.to_owned()),
            _ => None,
        };
        let mut resp = HttpResponse::build(self.status_code());
        if let ApiError::TooManyAttempts { retry_after } = self {
            resp.insert_header(("Retry-After", retry_after.to_string()));
        }
        if let ApiError::Unprocessable { details, .. } = self {
            // The details (e.g. every import error with its line) sit beside the error object.
            let mut body = details.clone();
            if let Some(map) = body.as_object_mut() {
                map.insert(
                    "error".into(),
                    serde_json::json!({"code": self.code(), "message": message}),
                );
            }
            return resp.json(body);
        }
        if let ApiError::Fields(list) = self {
            let fields: Vec<serde_json::Value> = list
                .iter()
                .map(|e| serde_json::json!({"field": e.field, "message": e.message}))
                .collect();
            return resp.json(serde_json::json!({
                "error": {"code": self.code(), "message": message, "field": field},
                "fields": fields,
            }));
        }
        resp.json(ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message,
                field,
            },
        })
    }
}

/// JSON bodies that do not parse become 400 with the parser's message, not actix's plain-text default.
pub fn json_config() -> actix_web::web::JsonConfig {
    actix_web::web::JsonConfig::default()
        .limit(4 * 1024 * 1024)
        .error_handler(|err, _req| {
            ApiError::Invalid {
                code: "invalid_json",
                message: err.to_string(),
                field: None,
            }
            .into()
        })
}

/// Query strings that do not parse become 400 naming the problem.
pub fn query_config() -> actix_web::web::QueryConfig {
    actix_web::web::QueryConfig::default().error_handler(|err, _req| {
        ApiError::Invalid {
            code: "invalid_query",
            message: err.to_string(),
            field: None,
        }
        .into()
    })
}
