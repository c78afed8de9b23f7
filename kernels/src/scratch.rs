//! Per-thread reusable f32 buffers (im2col columns and the like), so the training step does
//! not allocate and page-fault its largest temporaries on every call.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

thread_local! {
    static POOL: RefCell<Vec<Vec<f32>>> = const { RefCell::new(Vec::new()) };
}

/// A buffer of `len` f32 taken from this thread's pool and returned to it on drop. Its
/// contents are unspecified: callers overwrite every element they read.
#[derive(Debug)]
pub struct Buffer(Vec<f32>);

impl Buffer {
    /// Take a buffer of `len` elements.
    pub fn take(len: usize) -> Self {
        let mut v = POOL.with(|p| p.borrow_mut().pop()).unwrap_or_default();
        v.resize(len, 0.0);
        Buffer(v)
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        let v = std::mem::take(&mut self.0);
        // try_with: during thread teardown the pool may already be gone.
        let _ = POOL.try_with(|p| {
            let mut p = p.borrow_mut();
            if p.len() < 4 {
                p.push(v);
            }
        });
    }
}

impl Deref for Buffer {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        &self.0
    }
}

impl DerefMut for Buffer {
    fn deref_mut(&mut self) -> &mut [f32] {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_have_the_requested_length_and_are_reused() {
        let p = {
            let b = Buffer::take(100);
            assert_eq!(b.len(), 100);
            b.as_ptr()
        };
        let b = Buffer::take(50);
        assert_eq!(b.len(), 50);
        assert_eq!(b.as_ptr(), p, "the returned buffer is reused");
        let c = Buffer::take(10);
        assert_ne!(c.as_ptr(), b.as_ptr(), "two live buffers are distinct");
    }
}
