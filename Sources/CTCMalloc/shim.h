// tcmalloc replaces malloc at link time: nothing here for Swift to import. This system-library
// target only carries the pkg-config module scpl-tcmalloc (its library) to CTorch.
