//! Sharing decoded resources and scopes between the rows of one record batch: a row whose
//! resource (scope) columns hold exactly the values of an earlier row's (validity and the
//! values the decoder reads, compared in place in the Arrow arrays) gets that row's `Arc`
//! instead of building its own. Equal inputs build equal values, so sharing never changes
//! what is decoded.

use super::super::schema::{V_BOOL, V_DEDICATED, V_DOUBLE, V_INT, V_PROTO, V_STR};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type, UInt32Type};
use arrow_array::{
    Array, BinaryArray, BooleanArray, GenericListArray, MapArray, PrimitiveArray, StringArray,
};
use std::sync::Arc;

/// Distinct rows remembered (most recently used first); older ones are rebuilt when seen
/// again.
const CANDIDATES: usize = 16;

/// One input column, typed once per batch.
enum Col<'a> {
    Utf8(&'a StringArray),
    U32(&'a PrimitiveArray<UInt32Type>),
    ListBinary(&'a GenericListArray<i32>, &'a BinaryArray),
    Attrs(AttrCols<'a>),
}

/// The arrays of an attribute map column (layout in [`super::super::schema`]).
struct AttrCols<'a> {
    map: &'a MapArray,
    keys: &'a StringArray,
    s: &'a StringArray,
    i: &'a PrimitiveArray<Int64Type>,
    d: &'a PrimitiveArray<Float64Type>,
    b: &'a BooleanArray,
    p: &'a BinaryArray,
    ded: &'a BooleanArray,
}

impl<'a> Col<'a> {
    /// `None` for a column shape not handled here.
    fn new(a: &'a dyn Array) -> Option<Col<'a>> {
        if let Some(s) = a.as_string_opt::<i32>() {
            return Some(Col::Utf8(s));
        }
        if let Some(u) = a.as_primitive_opt::<UInt32Type>() {
            return Some(Col::U32(u));
        }
        if let Some(l) = a.as_list_opt::<i32>() {
            return Some(Col::ListBinary(l, l.values().as_binary_opt::<i32>()?));
        }
        let map = a.as_map_opt()?;
        let v = map.values().as_struct_opt()?;
        let f = |n: &str| v.column_by_name(n);
        Some(Col::Attrs(AttrCols {
            map,
            keys: map.keys().as_string_opt::<i32>()?,
            s: f(V_STR)?.as_string_opt::<i32>()?,
            i: f(V_INT)?.as_primitive_opt::<Int64Type>()?,
            d: f(V_DOUBLE)?.as_primitive_opt::<Float64Type>()?,
            b: f(V_BOOL)?.as_boolean_opt()?,
            p: f(V_PROTO)?.as_binary_opt::<i32>()?,
            ded: f(V_DEDICATED)?.as_boolean_opt()?,
        }))
    }

    /// Whether rows `x` and `y` decode identically.
    fn eq(&self, x: usize, y: usize) -> bool {
        match self {
            // The decoder reads these values whatever their validity.
            Col::Utf8(s) => s.is_valid(x) == s.is_valid(y) && s.value(x) == s.value(y),
            Col::U32(u) => u.is_valid(x) == u.is_valid(y) && u.value(x) == u.value(y),
            Col::ListBinary(l, v) => {
                let o = l.value_offsets();
                l.is_valid(x) == l.is_valid(y)
                    && o[x + 1] - o[x] == o[y + 1] - o[y]
                    && (0..(o[x + 1] - o[x]) as usize).all(|k| {
                        let (a, b) = (o[x] as usize + k, o[y] as usize + k);
                        v.is_valid(a) == v.is_valid(b) && v.value(a) == v.value(b)
                    })
            }
            Col::Attrs(m) => m.eq(x, y),
        }
    }
}

impl AttrCols<'_> {
    /// Same map validity and entries: keys, and for each value field validity and (when
    /// valid, as the decoder reads them) value.
    fn eq(&self, x: usize, y: usize) -> bool {
        if self.map.is_valid(x) != self.map.is_valid(y) {
            return false;
        }
        let o = self.map.value_offsets();
        let (x0, y0) = (o[x] as usize, o[y] as usize);
        let n = (o[x + 1] - o[x]) as usize;
        if (o[y + 1] - o[y]) as usize != n {
            return false;
        }
        (0..n).all(|k| {
            let (a, b) = (x0 + k, y0 + k);
            self.keys.value(a) == self.keys.value(b)
                && same_str(self.s, a, b)
                && same(self.i, a, b, |s, i| s.value(i))
                && same(self.d, a, b, |s, i| s.value(i).to_bits())
                && same(self.b, a, b, |s, i| s.value(i))
                && same_bin(self.p, a, b)
                && same(self.ded, a, b, |s, i| s.value(i))
        })
    }
}

/// Same validity at `a` and `b` of `arr`, and the same value when valid.
fn same<A: Array, V: PartialEq>(
    arr: &A,
    a: usize,
    b: usize,
    value: impl Fn(&A, usize) -> V,
) -> bool {
    let (va, vb) = (arr.is_valid(a), arr.is_valid(b));
    va == vb && (!va || value(arr, a) == value(arr, b))
}

fn same_str(arr: &StringArray, a: usize, b: usize) -> bool {
    let (va, vb) = (arr.is_valid(a), arr.is_valid(b));
    va == vb && (!va || arr.value(a) == arr.value(b))
}

fn same_bin(arr: &BinaryArray, a: usize, b: usize) -> bool {
    let (va, vb) = (arr.is_valid(a), arr.is_valid(b));
    va == vb && (!va || arr.value(a) == arr.value(b))
}

/// Values built for earlier rows of one batch, by the row they were built from.
pub(super) struct Interner<'a, T> {
    /// `None` when a column shape is not handled: every row is then built.
    cols: Option<Vec<Col<'a>>>,
    recent: Vec<(usize, Arc<T>)>,
}

impl<'a, T> Interner<'a, T> {
    /// An interner over the input columns `cols` of one batch.
    pub(super) fn new(cols: &[&'a dyn Array]) -> Self {
        Interner {
            cols: cols.iter().map(|c| Col::new(*c)).collect(),
            recent: Vec::with_capacity(CANDIDATES),
        }
    }

    /// The value of row `row`: the one of an earlier row with the same input values, else
    /// `build()` (remembered). Errors: those of `build`.
    pub(super) fn get<E>(
        &mut self,
        row: usize,
        build: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        let Some(cols) = &self.cols else {
            return Ok(Arc::new(build()?));
        };
        if let Some(k) = self
            .recent
            .iter()
            .position(|(r, _)| cols.iter().all(|c| c.eq(*r, row)))
        {
            if k > 0 {
                let e = self.recent.remove(k);
                self.recent.insert(0, e);
            }
            return Ok(self.recent[0].1.clone());
        }
        let v = Arc::new(build()?);
        if self.recent.len() == CANDIDATES {
            self.recent.pop();
        }
        self.recent.insert(0, (row, v.clone()));
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{StringArray, UInt32Array};

    #[test]
    fn equal_inputs_share_distinct_inputs_do_not() {
        let s = StringArray::from(vec![
            Some("a"),
            Some("a"),
            Some("ab"),
            None,
            Some(""),
            Some("a"),
        ]);
        let n = UInt32Array::from(vec![1, 1, 1, 0, 0, 1]);
        let mut cache: Interner<usize> = Interner::new(&[&s, &n]);
        let got: Vec<usize> = (0..6)
            .map(|row| *cache.get::<()>(row, || Ok(row)).unwrap())
            .collect();
        // Row 1 = row 0; null (3) differs from the empty string (4); row 5 = row 0.
        assert_eq!(got, vec![0, 0, 2, 3, 4, 0]);
    }
}
