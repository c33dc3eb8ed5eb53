//! The socket under a direct connection, TCP or a Unix socket, used without a task of its
//! own: callers write and read it with non-blocking calls and wait for its readiness.

use std::io;
#[cfg(unix)]
use std::path::Path;
use std::task::{Context, Poll};

use tokio::net::TcpStream;
#[cfg(unix)]
use tokio::net::UnixStream;

/// A connected socket.
pub(crate) enum Stream {
    /// TCP, with Nagle's delay off (a request is sent as soon as it is written).
    Tcp(TcpStream),
    /// A Unix socket.
    #[cfg(unix)]
    Unix(UnixStream),
}

impl Stream {
    /// Connects over TCP.
    pub(crate) async fn tcp(host: &str, port: u16) -> io::Result<Self> {
        let stream = TcpStream::connect((host, port)).await?;
        stream.set_nodelay(true)?;
        Ok(Self::Tcp(stream))
    }

    /// Connects to a Unix socket.
    #[cfg(unix)]
    pub(crate) async fn unix(path: &Path) -> io::Result<Self> {
        Ok(Self::Unix(UnixStream::connect(path).await?))
    }

    /// Writes what the socket takes now, without waiting.
    pub(crate) fn try_write(&self, bytes: &[u8]) -> io::Result<usize> {
        match self {
            Self::Tcp(stream) => stream.try_write(bytes),
            #[cfg(unix)]
            Self::Unix(stream) => stream.try_write(bytes),
        }
    }

    /// Reads what has arrived, without waiting.
    pub(crate) fn try_read(&self, into: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Tcp(stream) => stream.try_read(into),
            #[cfg(unix)]
            Self::Unix(stream) => stream.try_read(into),
        }
    }

    /// Ready once something can be read; `cx`'s task is woken then (only the last task that
    /// asked is: one caller reads at a time).
    pub(crate) fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Self::Tcp(stream) => stream.poll_read_ready(cx),
            #[cfg(unix)]
            Self::Unix(stream) => stream.poll_read_ready(cx),
        }
    }

    /// Waits until something can be written.
    pub(crate) async fn writable(&self) -> io::Result<()> {
        match self {
            Self::Tcp(stream) => stream.writable().await,
            #[cfg(unix)]
            Self::Unix(stream) => stream.writable().await,
        }
    }
}
