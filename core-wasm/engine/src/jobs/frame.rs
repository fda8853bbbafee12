//! The framing of job batches and their results: `count (u32) || count × (len (u32) ||
//! item)`, little-endian (docs/DESIGN.md §18). Items are written straight into their frame
//! ([`Batch`]) and read as slices of it ([`unframe`]), so framing adds no copy of the data;
//! hosts [`split`] a batch into shares for their workers and [`join`] the shares' results.

/// A frame being written: items go straight into it, each after its length.
pub struct Batch {
    buf: Vec<u8>,
    /// Where the frame starts in `buf` (after what [`Batch::after`] was given).
    start: usize,
    count: u32,
}

impl Batch {
    /// An empty frame with room for `bytes` bytes of items.
    pub fn with_capacity(bytes: usize) -> Batch {
        Batch::after(Vec::with_capacity(bytes + 4))
    }

    /// An empty frame written after the bytes `buf` holds (a reply's status byte), in its
    /// spare room, so the whole goes out without a copy.
    pub fn after(mut buf: Vec<u8>) -> Batch {
        let start = buf.len();
        buf.extend_from_slice(&0u32.to_le_bytes());
        Batch { buf, start, count: 0 }
    }

    /// Appends one item, which `write` puts at the end of the buffer it is given.
    pub fn push_with(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        let at = self.buf.len();
        self.buf.extend_from_slice(&0u32.to_le_bytes());
        write(&mut self.buf);
        let len = (self.buf.len() - at - 4) as u32;
        self.buf[at..at + 4].copy_from_slice(&len.to_le_bytes());
        self.count += 1;
    }

    /// Appends one item given whole.
    pub fn push(&mut self, item: &[u8]) {
        self.push_with(|out| out.extend_from_slice(item));
    }

    /// How many items the frame holds.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// True when the frame holds no item.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The finished frame (after what [`Batch::after`] was given).
    pub fn finish(mut self) -> Vec<u8> {
        let at = self.start;
        self.buf[at..at + 4].copy_from_slice(&self.count.to_le_bytes());
        self.buf
    }
}

/// Frames whole items as a batch (or a batch's results).
pub fn frame(items: &[Vec<u8>]) -> Vec<u8> {
    let mut b = Batch::with_capacity(items.iter().map(|i| i.len() + 4).sum());
    for i in items {
        b.push(i);
    }
    b.finish()
}

/// Reads a job's fields, or a frame's, in order.
pub(super) struct Reader<'a>(pub(super) &'a [u8]);

impl<'a> Reader<'a> {
    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err("a job is truncated".into());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    pub(super) fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    pub(super) fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }
    pub(super) fn key32(&mut self) -> Result<&'a [u8; 32], String> {
        Ok(self.take(32)?.try_into().expect("32 bytes"))
    }
}

/// Splits a batch (or its results) into its items, as slices of it.
pub fn unframe(bytes: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut r = Reader(bytes);
    let n = r.u32()? as usize;
    let mut out = Vec::with_capacity(n.min(bytes.len() / 4));
    for _ in 0..n {
        let len = r.u32()? as usize;
        out.push(r.take(len)?);
    }
    if !r.0.is_empty() {
        return Err("trailing bytes after a batch".into());
    }
    Ok(out)
}

/// Splits a framed batch into at most `n` framed shares of consecutive jobs, each with one
/// copy: how a host hands a batch to its workers, whose results [`join`] puts back in
/// order.
///
/// Shares are as even in bytes as whole jobs allow, not in count: a job's work grows with
/// its bytes, and a batch of one large chunk among many small files' chunks would
/// otherwise leave one worker idle while the other seals most of it. No share is empty.
pub fn split(batch: &[u8], n: usize) -> Result<Vec<Vec<u8>>, String> {
    let items = unframe(batch)?;
    let n = n.clamp(1, items.len().max(1));
    let total: usize = items.iter().map(|i| i.len() + 4).sum();
    let mut shares = Vec::with_capacity(n);
    let (mut start, mut acc) = (0, 0);
    for (i, item) in items.iter().enumerate() {
        acc += item.len() + 4;
        let left = n - shares.len();
        // Cut once this share reaches its part of the total, or when every later job
        // must start a share of its own; the last share takes what remains.
        let due = acc * n >= total * (shares.len() + 1) || items.len() - (i + 1) < left;
        if left > 1 && due && i + 1 < items.len() {
            shares.push(reframe(batch, &items[start..=i]));
            start = i + 1;
        }
    }
    shares.push(reframe(batch, &items[start..]));
    Ok(shares)
}

/// A batch of the consecutive items `share` of the framed `batch` (slices of it, as
/// [`unframe`] gives them), with one copy.
fn reframe(batch: &[u8], share: &[&[u8]]) -> Vec<u8> {
    let (Some(first), Some(last)) = (share.first(), share.last()) else {
        return frame(&[]);
    };
    // The items lie back to back in `batch`, each after its 4-byte length.
    let start = first.as_ptr() as usize - batch.as_ptr() as usize - 4;
    let end = last.as_ptr() as usize - batch.as_ptr() as usize + last.len();
    let mut out = Vec::with_capacity(end - start + 4);
    out.extend_from_slice(&(share.len() as u32).to_le_bytes());
    out.extend_from_slice(&batch[start..end]);
    out
}

/// Joins framed results of consecutive shares into the results of the whole batch, with
/// one copy.
pub fn join(shares: Vec<Vec<u8>>) -> Result<Vec<u8>, String> {
    Joined::new(shares).map(Joined::into_vec)
}

/// The framed results of consecutive shares, checked, standing for the results of the
/// whole batch ([`join`]) without being joined: a host that copies the results somewhere
/// anyway (into the engine's memory) writes their [`Joined::parts`] there instead.
#[derive(Debug)]
pub struct Joined {
    /// The batch's result count, as its frame begins.
    count: [u8; 4],
    shares: Vec<Vec<u8>>,
}

impl Joined {
    /// Checks that each share begins with its count and that the counts add up.
    pub fn new(shares: Vec<Vec<u8>>) -> Result<Joined, String> {
        let mut count = 0u32;
        for s in &shares {
            count = count
                .checked_add(Reader(s).u32()?)
                .ok_or("too many job results")?;
        }
        Ok(Joined {
            count: count.to_le_bytes(),
            shares,
        })
    }

    /// The length of the joined results.
    pub fn len(&self) -> usize {
        self.parts().map(<[u8]>::len).sum()
    }

    /// Whether the joined results are empty (never: they begin with their count).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The joined results as pieces to be written one after the other: the count, then
    /// each share's items.
    pub fn parts(&self) -> impl Iterator<Item = &[u8]> {
        std::iter::once(&self.count[..]).chain(self.shares.iter().map(|s| &s[4..]))
    }

    /// The joined results, with one copy.
    pub fn into_vec(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        self.parts().for_each(|p| out.extend_from_slice(p));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_and_join_back_in_order() {
        let batch = frame(&[vec![1], vec![2, 2], vec![3, 3, 3]]);
        let mut b = Batch::with_capacity(0);
        b.push(&[1]);
        b.push_with(|out| out.extend_from_slice(&[2, 2]));
        b.push(&[3, 3, 3]);
        assert_eq!(b.len(), 3);
        assert_eq!(b.finish(), batch, "built in place as framed whole");
        let shares = split(&batch, 2).unwrap();
        assert_eq!(unframe(&shares[0]).unwrap(), [&[1u8][..], &[2, 2]]);
        assert_eq!(unframe(&shares[1]).unwrap(), [&[3u8, 3, 3][..]]);
        let shares = split(&batch, 3).unwrap();
        assert_eq!(
            shares.len(),
            3,
            "one job each when there are as many jobs as shares"
        );
        assert_eq!(join(shares.clone()).unwrap(), batch, "split and joined again");
        assert_eq!(split(&batch, 5).unwrap().len(), 3, "never an empty share");
        assert_eq!(join(split(&frame(&[]), 2).unwrap()).unwrap(), frame(&[]));
        assert!(unframe(&[1, 0, 0, 0, 5, 0, 0, 0]).is_err());
        assert!(unframe(&[0, 0, 0, 0, 9]).is_err(), "trailing bytes");
    }

    #[test]
    fn shares_are_even_in_bytes_not_in_count() {
        // One large job and many small ones: the large one gets a share to itself.
        let mut items = vec![vec![7u8; 1000]];
        items.extend((0..9).map(|i| vec![i as u8; 100]));
        let batch = frame(&items);
        let shares = split(&batch, 2).unwrap();
        assert_eq!(unframe(&shares[0]).unwrap().len(), 1);
        assert_eq!(unframe(&shares[1]).unwrap().len(), 9);
        assert_eq!(join(shares.clone()).unwrap(), batch);
        // Whatever the sizes and the count, shares are consecutive, non-empty and at most n.
        for n in 1..6 {
            for len in 0..12usize {
                let items: Vec<Vec<u8>> = (0..len).map(|i| vec![i as u8; (i * 37) % 11 + 1]).collect();
                let batch = frame(&items);
                let shares = split(&batch, n).unwrap();
                assert!(
                    shares.len() <= n.max(1) && shares.len() == n.min(len).max(1),
                    "{n} {len}"
                );
                assert!(len == 0 || shares.iter().all(|s| !unframe(s).unwrap().is_empty()));
                assert_eq!(join(shares.clone()).unwrap(), batch);
            }
        }
    }
}
