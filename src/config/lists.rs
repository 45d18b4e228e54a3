//! Lists inside a configuration (authorization parameters, a scope map, trusted audiences),
//! borrowed from a slice in a `static` on a device, or from an [`super::OwnedConfig`]'s
//! vectors on a server: one view type each, [`Pairs`] and [`Strs`], so [`super::Config`] stays
//! a borrowed, `Copy` value either way.

use core::fmt;

/// A list of `(name, value)` pairs a [`Pairs`] can view.
pub trait PairList: Sync {
    /// How many pairs.
    fn len(&self) -> usize;
    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The pair at `i`.
    fn pair(&self, i: usize) -> Option<(&str, &str)>;
}

impl PairList for [(&str, &str)] {
    fn len(&self) -> usize {
        <[_]>::len(self)
    }
    fn pair(&self, i: usize) -> Option<(&str, &str)> {
        self.get(i).copied()
    }
}

impl<const N: usize> PairList for [(&str, &str); N] {
    fn len(&self) -> usize {
        N
    }
    fn pair(&self, i: usize) -> Option<(&str, &str)> {
        self.get(i).copied()
    }
}

#[cfg(feature = "alloc")]
impl PairList for alloc::vec::Vec<(alloc::string::String, alloc::string::String)> {
    fn len(&self) -> usize {
        <[_]>::len(self)
    }
    fn pair(&self, i: usize) -> Option<(&str, &str)> {
        self.get(i).map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// A list of strings a [`Strs`] can view.
pub trait StrList: Sync {
    /// How many strings.
    fn len(&self) -> usize;
    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The string at `i`.
    fn item(&self, i: usize) -> Option<&str>;
}

impl StrList for [&str] {
    fn len(&self) -> usize {
        <[_]>::len(self)
    }
    fn item(&self, i: usize) -> Option<&str> {
        self.get(i).copied()
    }
}

impl<const N: usize> StrList for [&str; N] {
    fn len(&self) -> usize {
        N
    }
    fn item(&self, i: usize) -> Option<&str> {
        self.get(i).copied()
    }
}

#[cfg(feature = "alloc")]
impl StrList for alloc::vec::Vec<alloc::string::String> {
    fn len(&self) -> usize {
        <[_]>::len(self)
    }
    fn item(&self, i: usize) -> Option<&str> {
        self.get(i).map(|s| s.as_str())
    }
}

/// A view of `(name, value)` pairs: `Pairs::new(&[("organization", "org_1")])`.
#[derive(Clone, Copy)]
pub struct Pairs<'a>(&'a (dyn PairList + 'a));

impl<'a> Pairs<'a> {
    /// No pairs.
    pub const EMPTY: Pairs<'static> = Pairs(&[] as &[(&str, &str); 0]);

    /// A view of `list`.
    pub fn new(list: &'a (dyn PairList + 'a)) -> Self {
        Pairs(list)
    }

    /// The pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let list = self.0;
        (0..list.len()).filter_map(move |i| list.pair(i))
    }

    /// How many pairs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Default for Pairs<'_> {
    fn default() -> Self {
        Pairs::EMPTY
    }
}

impl fmt::Debug for Pairs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for Pairs<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Pairs<'_> {}

/// A view of strings: `Strs::new(&["https://api.example.com"])`.
#[derive(Clone, Copy)]
pub struct Strs<'a>(&'a (dyn StrList + 'a));

impl<'a> Strs<'a> {
    /// No strings.
    pub const EMPTY: Strs<'static> = Strs(&[] as &[&str; 0]);

    /// A view of `list`.
    pub fn new(list: &'a (dyn StrList + 'a)) -> Self {
        Strs(list)
    }

    /// The strings in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + 'a {
        let list = self.0;
        (0..list.len()).filter_map(move |i| list.item(i))
    }

    /// Whether `s` is one of them.
    pub fn contains(&self, s: &str) -> bool {
        self.iter().any(|x| x == s)
    }
}

impl Default for Strs<'_> {
    fn default() -> Self {
        Strs::EMPTY
    }
}

impl fmt::Debug for Strs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for Strs<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Strs<'_> {}
