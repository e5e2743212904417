//! User code runs behind a guard: a panic in a handler, a middleware or a listener is caught
//! here and logged, and the caller closes the connection it came from (see
//! [`Socket::on`](crate::Socket::on) for the policy). Nothing unwinds into the connection's
//! task, so no other connection notices.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};

use futures_util::FutureExt;

/// Where user code ran: logged with a panic (never the event's payload).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Site<'a> {
    /// The namespace.
    pub(crate) nsp: &'a str,
    /// The socket id, or `""` when there is none (a server-side listener).
    pub(crate) socket: &'a str,
    /// The callback: the event name, or what kind of callback it is.
    pub(crate) what: &'a str,
}

/// Runs `f`; `None` (logged at `error`) when it panicked.
pub(crate) fn call<R>(site: Site<'_>, f: impl FnOnce() -> R) -> Option<R> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => Some(r),
        Err(panic) => {
            log(site, panic.as_ref());
            None
        }
    }
}

/// Awaits `fut`; `None` (logged at `error`) when it panicked.
pub(crate) async fn call_async<R>(site: Site<'_>, fut: impl Future<Output = R>) -> Option<R> {
    match AssertUnwindSafe(fut).catch_unwind().await {
        Ok(r) => Some(r),
        Err(panic) => {
            log(site, panic.as_ref());
            None
        }
    }
}

fn log(site: Site<'_>, panic: &(dyn Any + Send)) {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(not a string)");
    tracing::error!(
        target: "socketio::socket",
        nsp = site.nsp,
        socket = site.socket,
        callback = site.what,
        panic = message,
        "user code panicked; closing its connection"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: Site<'static> = Site {
        nsp: "/",
        socket: "s",
        what: "ev",
    };

    #[test]
    fn a_panic_is_caught_and_a_value_passes() {
        assert_eq!(call(SITE, || 7), Some(7));
        assert_eq!(call(SITE, || -> u8 { panic!("boom") }), None);
    }

    #[tokio::test]
    async fn an_async_panic_is_caught() {
        assert_eq!(call_async(SITE, async { 7 }).await, Some(7));
        let failed = call_async(SITE, async {
            tokio::task::yield_now().await;
            panic!("boom")
        })
        .await;
        assert_eq!(failed, None::<()>);
    }
}
