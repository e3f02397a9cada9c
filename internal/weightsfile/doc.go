// Package weightsfile is the weights file format of package pretrained,
// shared with package table (which records the weights of the models that
// 2-RF trains from beside its results): the 8 bytes "GOFMW1\n\x00", a
// little-endian uint64 n, n bytes of JSON listing the variables in order
// ({"path", "dtype", "dims"}), then each variable's values, little-endian,
// row-major, in that order, and nothing after. Paths are GoMLX store paths;
// only float32, float64 and int64 values occur. Errors carry no package
// prefix: the callers add theirs.
package weightsfile
