//! Listing a repository served over HTTP, without doing any I/O (docs/DESIGN.md §22).
//!
//! A static server has no list operation, only pages: a directory listing in HTML (Python's
//! `http.server`, nginx `autoindex`, Apache) or, for a public bucket, S3's `ListObjectsV2`
//! XML. Every face that reads a repository over HTTP (the CLI, and later the browser and
//! the JS package) fetches those pages itself and hands their text here, so all of them
//! list a repository the same way. Names come back exactly as the server spells them
//! after percent- or entity-decoding; the caller keeps only those in the grammar of
//! [`crate::layout`].

/// One entry of an HTML directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A file, by its name in the directory.
    File(String),
    /// A subdirectory, by its name without the trailing `/`.
    Dir(String),
}

/// The entries of an HTML directory listing: every link to a name inside the listed
/// directory. Links that leave it (`../`, absolute paths, other hosts), sort links
/// (`?C=N;O=D`) and fragments are not entries.
pub fn parse_html(html: &str) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    let mut rest = html;
    while let Some(at) = find_ascii_ci(rest, "href=") {
        rest = &rest[at + "href=".len()..];
        let (value, after) = match rest.as_bytes().first() {
            Some(q @ (b'"' | b'\'')) => {
                let q = *q as char;
                let body = &rest[1..];
                match body.find(q) {
                    Some(end) => (&body[..end], &body[end + 1..]),
                    None => break,
                }
            }
            _ => {
                let end = rest
                    .find(|c: char| c.is_ascii_whitespace() || c == '>')
                    .unwrap_or(rest.len());
                (&rest[..end], &rest[end..])
            }
        };
        rest = after;
        if let Some(entry) = entry_of(&decode_entities(value)) {
            if !out.contains(&entry) {
                out.push(entry);
            }
        }
    }
    out
}

/// The entry a link's target names, if it is a name inside the listed directory.
fn entry_of(href: &str) -> Option<Entry> {
    if href.is_empty()
        || href.starts_with(['/', '?', '#', '.'])
        || href.contains("://")
        || href.contains(['?', '#'])
    {
        return None;
    }
    let name = percent_decode(href)?;
    match name.strip_suffix('/') {
        Some(dir) if !dir.is_empty() && !dir.contains('/') => Some(Entry::Dir(dir.to_string())),
        Some(_) => None,
        None if !name.contains('/') => Some(Entry::File(name)),
        None => None,
    }
}

/// One page of an S3 `ListObjectsV2` answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListPage {
    /// The keys on this page, in the order given.
    pub keys: Vec<String>,
    /// The token for the next page when the listing is truncated.
    pub next_token: Option<String>,
}

/// Parses a `ListObjectsV2` answer; an error (the document is not one, or is an S3
/// `<Error>`) says what the server sent.
pub fn parse_list_objects_v2(xml: &str) -> Result<ListPage, String> {
    if let Some(code) = element(xml, "Code").filter(|_| xml.contains("<Error>")) {
        let message = element(xml, "Message").unwrap_or_default();
        return Err(format!("the server answered {code}: {message}"));
    }
    if !xml.contains("<ListBucketResult") {
        return Err("the answer is not an S3 ListObjectsV2 document".into());
    }
    let mut page = ListPage::default();
    let mut rest = xml;
    while let Some(at) = rest.find("<Contents>") {
        rest = &rest[at + "<Contents>".len()..];
        let end = rest
            .find("</Contents>")
            .ok_or("a <Contents> element is not closed")?;
        let contents = &rest[..end];
        let key = element(contents, "Key").ok_or("a <Contents> element has no <Key>")?;
        page.keys.push(key);
        rest = &rest[end..];
    }
    let truncated = element(xml, "IsTruncated").is_some_and(|t| t == "true");
    page.next_token = element(xml, "NextContinuationToken").filter(|_| truncated);
    if truncated && page.next_token.is_none() {
        return Err("the listing is truncated but names no NextContinuationToken".into());
    }
    Ok(page)
}

/// The query string of a `ListObjectsV2` request for keys under `prefix`, continuing at
/// `token` when given.
pub fn list_objects_v2_query(prefix: &str, token: Option<&str>) -> String {
    let mut q = format!("list-type=2&prefix={}", percent_encode(prefix));
    if let Some(t) = token {
        q.push_str("&continuation-token=");
        q.push_str(&percent_encode(t));
    }
    q
}

/// Percent-encodes everything but RFC 3986's unreserved characters and `/`: a key as a
/// URL path, or a query value.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The decoded text of the first `<tag>…</tag>` in `xml`.
fn element(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(decode_entities(&xml[start..end]))
}

/// Decodes `%XX` escapes; `None` when they do not make UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Decodes the XML/HTML character references a listing uses (`&amp;`, `&#38;`, `&#x26;`…).
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..end];
        let ch = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The byte offset of `needle` (ASCII) in `hay`, ignoring ASCII case.
fn find_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    (0..=h.len().checked_sub(n.len())?).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(s: &str) -> Entry {
        Entry::File(s.into())
    }
    fn dir(s: &str) -> Entry {
        Entry::Dir(s.into())
    }

    #[test]
    fn python_http_server_listings() {
        // Captured from `python3 -m http.server` (Python 3.11) over a repository.
        let root = include_str!("../testdata/listings/python-root.html");
        assert_eq!(
            parse_html(root),
            vec![file("config.json"), dir("keys"), dir("packs"), dir("snapshots")]
        );
        let escaped = include_str!("../testdata/listings/python-escaped.html");
        assert_eq!(parse_html(escaped), vec![file("01 a&b.tmp")]);
    }

    #[test]
    fn nginx_autoindex_listing() {
        let html = include_str!("../testdata/listings/nginx-autoindex.html");
        assert_eq!(
            parse_html(html),
            vec![dir("ab"), file("cd.pack"), file("e f.idx")],
            "the parent link is not an entry"
        );
    }

    #[test]
    fn links_that_leave_the_directory_are_not_entries() {
        let html = r##"<a href="/abs">x</a><a href="http://x/y">x</a><a href="?C=N;O=D">x</a>
            <a href="#top">x</a><a href="../">x</a><a href="./">x</a><a href="a/b">x</a>
            <A HREF='ok'>ok</A><a href=bare>bare</a><a href="bad%zz">x</a>"##;
        assert_eq!(parse_html(html), vec![file("ok"), file("bare")]);
    }

    #[test]
    fn list_objects_v2_pages() {
        // Captured from SeaweedFS 4.48's S3 gateway (anonymous reads allowed).
        let all = include_str!("../testdata/listings/s3-all.xml");
        let page = parse_list_objects_v2(all).unwrap();
        assert_eq!(page.next_token, None);
        assert!(page.keys.contains(&"config.json".to_string()), "{page:?}");
        assert!(page.keys.contains(&"snapshots/a&b <x>".to_string()), "{page:?}");
        let truncated = include_str!("../testdata/listings/s3-truncated.xml");
        let page = parse_list_objects_v2(truncated).unwrap();
        assert_eq!(page.keys.len(), 2);
        assert!(page.next_token.as_deref().is_some_and(|t| !t.is_empty()));
    }

    #[test]
    fn errors_and_other_documents_are_refused_with_the_servers_reason() {
        let e = parse_list_objects_v2(
            "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
        )
        .unwrap_err();
        assert!(e.contains("AccessDenied") && e.contains("Access Denied"), "{e}");
        assert!(parse_list_objects_v2("<html></html>").is_err());
        let cut = "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>";
        assert!(parse_list_objects_v2(cut).is_err());
    }

    #[test]
    fn queries_and_encoding() {
        assert_eq!(
            list_objects_v2_query("packs/data/", None),
            "list-type=2&prefix=packs/data/"
        );
        assert_eq!(
            list_objects_v2_query("", Some("a+b=")),
            "list-type=2&prefix=&continuation-token=a%2Bb%3D"
        );
        assert_eq!(percent_encode("a b&c"), "a%20b%26c");
        assert_eq!(percent_decode("a%20b%26c").as_deref(), Some("a b&c"));
        assert_eq!(decode_entities("&lt;&#65;&#x42;&amp;&bogus;"), "<AB&&bogus;");
    }
}
