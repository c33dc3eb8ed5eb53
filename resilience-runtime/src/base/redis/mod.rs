//! The Redis connection shared by every Redis-backed instance, whatever it stores: where it
//! connects ([`url`]), what the URL asks for ([`endpoint`]: one server, over TCP, TLS or a
//! Unix socket, or the seeds of a Redis Cluster), the connection itself ([`connection`]; to
//! one server over TCP or a Unix socket a leaner one of its own, `direct`) and
//! an instance's lazily opened one ([`lazy`]) and a Lua script run on it ([`script`]),
//! the trust of TLS connections (`tls`, feature `redis-tls`), the hash tags that keep each
//! decision's keys on one cluster slot ([`hash_tag`]), and what a failure says ([`failure`]).

#[cfg(feature = "redis")]
pub(crate) mod connection;
#[cfg(feature = "redis")]
mod direct;
#[cfg(feature = "redis")]
pub(crate) mod endpoint;
#[cfg(feature = "redis")]
pub(crate) mod failure;
#[cfg(feature = "redis")]
pub(crate) mod hash_tag;
#[cfg(feature = "redis")]
pub(crate) mod lazy;
#[cfg(feature = "redis-tls")]
mod pem;
#[cfg(feature = "redis")]
pub(crate) mod script;
#[cfg(feature = "redis-tls")]
mod tls;
#[cfg(feature = "redis-tls")]
mod tls_error;
pub(crate) mod url;
