// Package metrics measures how close generated samples are to data, for the
// low-dimensional (2D) experiments: two-sample distances between point sets
// and a summary of per-point negative log-likelihoods.
//
// All functions take point sets as [][]float64 (rows are points) and return
// an error naming the problem for empty, ragged or non-finite sets and for
// sets of different dimensions.
//
// Energy distance (Székely and Rizzo). For distributions P, Q
//
//	D(P, Q) = 2 E|X - Y| - E|X - X'| - E|Y - Y'|,   X, X' ~ P, Y, Y' ~ Q,
//
// which is >= 0 and zero iff P = Q. EnergyDistance returns the U-statistic
// (averages over distinct pairs within each set), an unbiased estimate; on two
// samples of the same distribution it fluctuates around 0 with spread O(1/n).
//
// Maximum mean discrepancy (Gretton et al.). For a kernel k,
//
//	MMD^2(P, Q) = E k(X, X') + E k(Y, Y') - 2 E k(X, Y).
//
// MMD returns the unbiased U-statistic of MMD^2 for an average of Gaussian RBF
// kernels exp(-|a-b|^2 / (2 h^2)) over a set of bandwidths h (default
// DefaultBandwidths: 0.1, 0.2, 0.5, 1, 2). For X ~ N(0, I_d) and
// Y ~ N(mu, I_d) and one bandwidth h the population value is
//
//	MMD^2 = 2 (h^2 / (h^2 + 2))^(d/2) (1 - exp(-|mu|^2 / (2 (h^2 + 2)))),
//
// which the tests use.
//
// 2-Wasserstein distance. W2 returns the exact distance between two empirical
// measures with n atoms each: sqrt(min over permutations of the mean squared
// distance of the matched pairs), solved with coupling's Jonker-Volgenant
// assignment. Between N(0, I) and N(mu, I) the population value is |mu|; the
// empirical value of two n-samples is biased upwards (in 2D by
// O(sqrt(log n / n))).
//
// NLL. NLL(logp) returns the mean of -logp and its standard error
// s / sqrt(n) (s the sample standard deviation), for reporting likelihoods as
// "mean ± standard error".
//
// Cost. The energy distance and MMD are O((n + m)^2 d) and are summed over
// GOMAXPROCS goroutines (row-interleaved) for more than 65,536 pairs; W2 is
// O(n^3) in the worst case with an n x n matrix, limited to MaxW2Points.
package metrics
