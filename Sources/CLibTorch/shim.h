// libtorch is C++: nothing here for Swift to import. This system-library target only carries
// the pkg-config module scpl-libtorch (include path and libraries) to CTorch, which wraps it in C.
