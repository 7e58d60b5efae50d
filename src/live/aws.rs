//! AWS clients as Terraform's S3 backend would build them: the default credential chain
//! (environment, profiles, SSO, process credentials), the store's region, `AWS_ENDPOINT_URL` /
//! `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL_DYNAMODB` (read by the SDK itself), and a private CA
//! from `AWS_CA_BUNDLE`.

use super::targets::S3Target;
use crate::error::{Error, Result};

/// The clients the S3 backend's state and locks need, and KMS for `doctor`.
pub struct Clients {
    pub s3: aws_sdk_s3::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// For `doctor`: which key an alias or key id names.
    pub kms: aws_sdk_kms::Client,
}

/// A runtime for the SDK's futures: one thread, blocking calls from the CLI.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("tokio runtime", e))
}

/// Whether an endpoint override is in the environment (an S3-compatible store or an emulator),
/// which then takes path-style bucket addressing.
fn custom_endpoint() -> bool {
    ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|s| !s.is_empty()))
}

/// Build the clients for a store as its backend block describes it: region, `profile`,
/// `endpoints`, `assume_role` (over the default chain), path-style addressing.
pub async fn clients(target: &S3Target) -> Result<Clients> {
    let region = aws_config::Region::new(target.region.clone());
    let mut loader =
        aws_config::defaults(aws_config::BehaviorVersion::latest()).region(region.clone());
    if let Some(p) = &target.profile {
        loader = loader.profile_name(p);
    }
    if let Some(bundle) = std::env::var_os("AWS_CA_BUNDLE").filter(|v| !v.is_empty()) {
        use aws_smithy_http_client::tls::{
            self, rustls_provider::CryptoMode, TlsContext, TrustStore,
        };
        let pem = std::fs::read(&bundle).map_err(|e| Error::io(&bundle, e))?;
        let context = TlsContext::builder()
            .with_trust_store(TrustStore::default().with_pem_certificate(pem))
            .build()
            .map_err(|e| {
                Error::Usage(format!(
                    "AWS_CA_BUNDLE={}: not a PEM certificate bundle ({e})",
                    std::path::Path::new(&bundle).display()
                ))
            })?;
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .tls_context(context)
            .build_https();
        loader = loader.http_client(http);
    }
    let mut conf = loader.load().await;
    if let Some(role) = &target.role_arn {
        let mut sts = conf.clone().into_builder();
        if let Some(e) = &target.endpoint_sts {
            sts = sts.endpoint_url(e);
        }
        let mut provider = aws_config::sts::AssumeRoleProvider::builder(role)
            .region(region)
            .session_name(target.session_name.clone().unwrap_or("tfboot".into()));
        if let Some(x) = &target.external_id {
            provider = provider.external_id(x);
        }
        let provider = provider.configure(&sts.build()).build().await;
        conf = conf
            .into_builder()
            .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(provider))
            .build();
    }
    let mut s3 = aws_sdk_s3::config::Builder::from(&conf)
        .force_path_style(custom_endpoint() || target.path_style);
    if let Some(e) = &target.endpoint_s3 {
        s3 = s3.endpoint_url(e);
    }
    let mut dynamodb = aws_sdk_dynamodb::config::Builder::from(&conf);
    if let Some(e) = &target.endpoint_dynamodb {
        dynamodb = dynamodb.endpoint_url(e);
    }
    Ok(Clients {
        kms: aws_sdk_kms::Client::new(&conf),
        s3: aws_sdk_s3::Client::from_conf(s3.build()),
        dynamodb: aws_sdk_dynamodb::Client::from_conf(dynamodb.build()),
    })
}

/// What `describe` reads of a raw HTTP response.
pub trait RawResponse {
    fn status(&self) -> u16;
    fn body_text(&self) -> String;
}

impl RawResponse for aws_sdk_s3::config::http::HttpResponse {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
    fn body_text(&self) -> String {
        String::from_utf8_lossy(self.body().bytes().unwrap_or_default())
            .chars()
            .take(300)
            .collect()
    }
}

/// An SDK error as one line: the service's code and message when it answered, else the
/// transport's reason (no credentials, no connection, TLS).
pub fn describe<E, R>(e: &aws_sdk_s3::error::SdkError<E, R>) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + RawResponse,
{
    use aws_sdk_s3::error::SdkError;
    match e {
        SdkError::ServiceError(s) => {
            let err = s.err();
            match (err.code(), err.message()) {
                (None, None) => format!(
                    "HTTP {} with no error code: {}",
                    RawResponse::status(s.raw()),
                    s.raw().body_text()
                ),
                (code, message) => format!(
                    "{}: {}",
                    code.unwrap_or("error"),
                    message.unwrap_or("no message")
                ),
            }
        }
        other => {
            // The innermost cause says what went wrong (dispatch failure → TLS / connect error).
            let mut msg = other.to_string();
            let mut src: Option<&dyn std::error::Error> = std::error::Error::source(other);
            while let Some(s) = src {
                msg = s.to_string();
                src = s.source();
            }
            msg
        }
    }
}
