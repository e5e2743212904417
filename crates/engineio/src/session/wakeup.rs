//! How the session's one task (the driver) is woken: a flag and that task's waker.
//!
//! tokio's `Notify` serves any number of waiters through a list, and the driver would keep
//! its `Notified` future (64 bytes) in every idle connection's task; a session has one waiter,
//! which polls this in place.

use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;

/// A wake-up for one task: [`notify_one`](Self::notify_one) before the task waits is kept
/// (once, however many calls), as `Notify::notify_one`'s permit.
#[derive(Default)]
pub(crate) struct Wakeup {
    set: AtomicBool,
    waker: AtomicWaker,
}

impl Wakeup {
    /// Wakes the task, or lets its next poll return at once.
    pub(crate) fn notify_one(&self) {
        self.set.store(true, Ordering::Release);
        self.waker.wake();
    }

    /// `Ready` once notified since the last `Ready`; otherwise registers the task.
    pub(crate) fn poll(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.set.swap(false, Ordering::AcqRel) {
            return Poll::Ready(());
        }
        self.waker.register(cx.waker());
        // A notification between the check and the registration found no waker to wake.
        if self.set.swap(false, Ordering::AcqRel) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn a_notification_before_the_wait_is_kept_once() {
        let w = Wakeup::default();
        w.notify_one();
        w.notify_one();
        poll_fn(|cx| w.poll(cx)).await;
        let again = tokio::time::timeout(Duration::from_millis(20), poll_fn(|cx| w.poll(cx)));
        assert!(again.await.is_err(), "two notifications are one permit");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn wakes_a_waiting_task_on_another_worker() {
        let w = Arc::new(Wakeup::default());
        for _ in 0..200 {
            let waiter = {
                let w = w.clone();
                tokio::spawn(async move { poll_fn(|cx| w.poll(cx)).await })
            };
            tokio::task::yield_now().await;
            w.notify_one();
            tokio::time::timeout(Duration::from_secs(5), waiter)
                .await
                .expect("woken")
                .expect("joined");
        }
    }
}
