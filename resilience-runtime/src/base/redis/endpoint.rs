//! What a Redis URL asks for: one server (`redis://`, `rediss://`, `redis+unix://`), or the
//! seeds of a Redis Cluster (a comma-separated list, or one URL with
//! `RESILIENCE_REDIS_CLUSTER=1`). Checked before any I/O, so that a mistake reads as one.

use redis::{ConnectionInfo, IntoConnectionInfo};

use super::failure::{Failure, FailureKind};

/// A parsed Redis URL.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    /// One server's URL, or a cluster's seeds.
    nodes: Vec<ConnectionInfo>,
    cluster: bool,
    tls: bool,
}

impl Endpoint {
    /// Reads `url`; `cluster` asks for a cluster client even with a single URL.
    pub(crate) fn parse(url: &str, cluster: bool) -> Result<Self, Failure> {
        let parts: Vec<&str> = url
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .collect();
        if parts.is_empty() {
            return Err(invalid("the Redis URL is empty"));
        }
        let cluster = cluster || parts.len() > 1;
        let mut tls = None;
        let mut nodes = Vec::with_capacity(parts.len());
        for part in parts {
            let scheme = part.split_once("://").map_or("", |(scheme, _)| scheme);
            let node_tls = match scheme {
                "redis" => false,
                "rediss" => true,
                "redis+unix" | "unix" if cluster => {
                    return Err(invalid(format!(
                        "a Redis Cluster is reached over TCP: `{}` cannot be one of its seeds",
                        redacted(part)
                    )));
                }
                "redis+unix" | "unix" => false,
                _ => {
                    return Err(invalid(format!(
                        "`{}` is not a Redis URL: it starts with redis://, rediss:// or \
                         redis+unix://",
                        redacted(part)
                    )));
                }
            };
            if node_tls && cfg!(not(feature = "redis-tls")) {
                return Err(invalid(format!(
                    "`{}` asks for TLS: rediss:// needs resilience-runtime's `redis-tls` feature",
                    redacted(part)
                )));
            }
            if tls.is_some_and(|tls| tls != node_tls) {
                return Err(invalid(
                    "the seeds of one Redis Cluster are either all redis:// or all rediss://",
                ));
            }
            tls = Some(node_tls);
            let info = part.into_connection_info().map_err(|error| {
                invalid(format!(
                    "`{}` is not a valid Redis URL: {error}",
                    redacted(part)
                ))
            })?;
            nodes.push(info);
        }
        Ok(Self {
            nodes,
            cluster,
            tls: tls.unwrap_or(false),
        })
    }

    /// The server, or the cluster's seeds.
    pub(crate) fn nodes(&self) -> &[ConnectionInfo] {
        &self.nodes
    }

    /// Whether this is a cluster.
    pub(crate) fn is_cluster(&self) -> bool {
        self.cluster
    }

    /// Whether connections use TLS.
    pub(crate) fn is_tls(&self) -> bool {
        self.tls
    }
}

fn invalid(message: impl Into<String>) -> Failure {
    Failure::new(FailureKind::Other, message)
}

/// `url` without its password, for messages and logs.
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return String::from(url);
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return String::from(url);
    };
    let user = rest[..at].split_once(':').map_or("", |(user, _)| user);
    format!("{scheme}://{user}:***{}", &rest[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_url_is_one_server_and_a_list_is_a_cluster() {
        let one = Endpoint::parse("redis://127.0.0.1:6379/", false).unwrap();
        assert!(!one.is_cluster() && !one.is_tls());
        assert_eq!(one.nodes().len(), 1);
        let seeded = Endpoint::parse("redis://127.0.0.1:6379/", true).unwrap();
        assert!(seeded.is_cluster());
        let list =
            Endpoint::parse("redis://127.0.0.1:7101, redis://127.0.0.1:7102,", false).unwrap();
        assert!(list.is_cluster());
        assert_eq!(list.nodes().len(), 2);
        let unix = Endpoint::parse("redis+unix:///tmp/redis.sock", false).unwrap();
        assert!(!unix.is_cluster());
    }

    #[test]
    fn mistakes_are_named_before_any_io() {
        let message = |url: &str| Endpoint::parse(url, false).unwrap_err().into_message();
        assert!(message("").contains("empty"));
        assert!(message("localhost:6379").contains("is not a Redis URL"));
        assert!(message("http://localhost").contains("is not a Redis URL"));
        assert!(message("redis://127.0.0.1:notaport").contains("not a valid Redis URL"));
        assert!(
            message("redis://127.0.0.1:7101,redis+unix:///tmp/redis.sock").contains("over TCP")
        );
        let mixed = "redis://127.0.0.1:7101,rediss://127.0.0.1:7102";
        if cfg!(feature = "redis-tls") {
            assert!(message(mixed).contains("all redis:// or all rediss://"));
        } else {
            assert!(message(mixed).contains("`redis-tls` feature"));
        }
    }

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            redacted("redis://user:secret@127.0.0.1:6379/0"),
            "redis://user:***@127.0.0.1:6379/0"
        );
        assert_eq!(redacted("redis://:secret@host/"), "redis://:***@host/");
        assert_eq!(redacted("redis://host:6379"), "redis://host:6379");
        let message = Endpoint::parse("redis://user:secret@host:port/", false)
            .unwrap_err()
            .into_message();
        assert!(!message.contains("secret"), "{message}");
    }

    #[cfg(not(feature = "redis-tls"))]
    #[test]
    fn tls_without_the_feature_says_which_feature() {
        let failure = Endpoint::parse("rediss://127.0.0.1:6380/", false).unwrap_err();
        assert!(
            failure.message().contains("`redis-tls` feature"),
            "{failure:?}"
        );
    }
}
