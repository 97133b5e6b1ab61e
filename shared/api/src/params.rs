//! Request parameters as Go's `http.Request.ParseForm` sees them: the
//! `application/x-www-form-urlencoded` body of a POST/PUT/PATCH first, then the URL query.

use bytes::Bytes;
use http::{header::CONTENT_TYPE, Method, Request};

/// Decoded parameters of one request, in Go `r.Form` order (body values before URL values).
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Collects the body form (only for POST/PUT/PATCH with a form content type) and the
    /// URL query string. Percent-decoding and `+` → space follow `application/x-www-form-urlencoded`.
    pub fn from_request(req: &Request<Bytes>) -> Self {
        let mut pairs = Vec::new();
        let is_form = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                ct.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
            .unwrap_or(false);
        let body_method = matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH);
        if is_form && body_method {
            pairs.extend(
                form_urlencoded::parse(req.body()).map(|(k, v)| (k.into_owned(), v.into_owned())),
            );
        }
        if let Some(q) = req.uri().query() {
            pairs.extend(
                form_urlencoded::parse(q.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())),
            );
        }
        Params { pairs }
    }

    /// Builds parameters from explicit pairs (tests, internal calls).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Params {
            pairs: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The first value of `name` (Go `FormValue`; `None` if absent).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, or `""` if absent (exactly Go `FormValue`).
    pub fn value(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// Every `(name, value)` pair in order (Go `r.Form` flattened). Used by Tempo's old-style
    /// search tags.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// All values of `name` (Go `r.Form[name]`), body values first. Used for `match[]`.
    pub fn get_all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_before_query() {
        let req = Request::builder()
            .method("POST")
            .uri("/api/v1/series?match[]=b&x=url")
            .header(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .body(Bytes::from_static(b"match%5B%5D=a&x=body+1"))
            .unwrap();
        let p = Params::from_request(&req);
        assert_eq!(p.get("x"), Some("body 1"));
        assert_eq!(p.get_all("match[]"), vec!["a", "b"]);
        assert_eq!(p.value("nope"), "");
    }

    #[test]
    fn get_ignores_body() {
        let req = Request::builder()
            .method("GET")
            .uri("/q?query=up%7Bjob%3D%22a%22%7D")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Bytes::from_static(b"query=other"))
            .unwrap();
        assert_eq!(
            Params::from_request(&req).get("query"),
            Some("up{job=\"a\"}")
        );
    }
}
