//! How the CLI's memory allocator keeps what it frees (docs/DESIGN.md §32).
//!
//! glibc's malloc hands freed memory back to the kernel eagerly: a block over its mapping
//! threshold is a mapping of its own, unmapped when freed, and the free space at the top
//! of a heap is released once it passes the trim threshold. A restore from S3 receives
//! every byte into buffers the HTTP client allocates afresh, so each page of them was
//! faulted in and zeroed by the kernel again, about 20,000 times for a 200 MiB restore:
//! a fifth of its page faults and most of what it cost beyond a restore from the disk.
//! Kept, the freed memory serves the next buffers.

/// Blocks up to this size come from the heaps, which keep them when freed (glibc's largest).
pub const MMAP_THRESHOLD: i32 = 32 << 20;
/// Free memory at the top of a heap is given back only beyond this.
pub const TRIM_THRESHOLD: i32 = 256 << 20;

/// Tells glibc's malloc to keep freed memory ([`MMAP_THRESHOLD`], [`TRIM_THRESHOLD`]);
/// nothing elsewhere. Called first in `main`, before any other thread runs.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets malloc's tuning parameters; no thread allocates yet.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
}
