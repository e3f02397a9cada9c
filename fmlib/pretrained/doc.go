// Package pretrained ships trained weights with the project and loads them
// with their integrity checked, so a notebook can show a well-trained model
// in seconds instead of training one for an hour.
//
// A shipped model is two files in the folder shipped/ (embedded in every
// program that imports this package):
//
//	NAME.json      the manifest: the recipe set-up and its fingerprint, the
//	               step count, the command and commit that made it, its
//	               FID-MNIST with the floor, the weights file's size and SHA-256
//	NAME.weights   the weights (the moving average of a run with EMA), in
//	               the format of Encode
//
// Load checks, before any weight is used, that the manifest is complete
// and consistent (its fingerprint is that of its set-up), that the weights
// file exists, has the recorded size and SHA-256, and decodes to finite
// values of the shapes the network asks for. Any failure is an error that
// names the file and the command that recreates it (make pretrained); a
// damaged file is never replaced by anything else silently.
//
// Export writes a trained recipe.Model's weights and manifest to a folder
// (gofm export does it from the command line); LoadDir loads such a folder.
//
// The weights file: the 8 bytes "GOFMW1\n\x00", a little-endian uint64 n,
// n bytes of JSON listing the variables in order ({"path", "dtype",
// "dims"}), then each variable's values, little-endian, row-major, in that
// order, and nothing after. Paths are the GoMLX store paths
// (/ema/unet/...). Only float32, float64 and int64 values occur.
package pretrained
