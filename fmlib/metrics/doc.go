// Package metrics measures how close generated samples are to data, for the
// low-dimensional (2D) experiments: two-sample distances between point sets
// and a summary of per-point negative log-likelihoods; and, for images, the
// Fréchet distance between Gaussian fits of two feature sets (FID).
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
// Fréchet distance. Frechet fits a Gaussian to each of two feature sets
// (FitGaussian: sample mean and unbiased covariance, divided by n-1) and
// returns the squared 2-Wasserstein distance between the two Gaussians,
//
//	F = |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1^{1/2} S2 S1^{1/2})^{1/2}),
//
// the formula of the Fréchet Inception Distance (Heusel et al.); on features
// of a digit classifier it gives the FID-MNIST of package classifier.
// FrechetFromMoments takes the moments directly (reference statistics computed
// once). The cross term is computed stably: each covariance is factored with a
// symmetric eigendecomposition S_k = Q_k diag(lambda_k) Q_k^T, eigenvalues
// between -PSDTolerance * max|lambda| and 0 are rounding error and are clipped
// to 0 (below that the matrix is rejected as not positive semi-definite), and
// with B_k = Q_k diag(sqrt(lambda_k)), S_k = B_k B_k^T and
//
//	Tr((S1^{1/2} S2 S1^{1/2})^{1/2}) = sum of the singular values of B2^T B1,
//
// because S1^{1/2} S2 S1^{1/2} = A^T A for A = S2^{1/2} S1^{1/2}, whose singular
// values equal those of B2^T B1 (they differ by orthogonal factors). This never
// forms the product of the two covariances, so singular covariances (fewer
// samples than dimensions) cost no accuracy. A final value made slightly
// negative by rounding is returned as 0. Closed forms the tests use: equal
// Gaussians give 0, a mean shift alone gives its squared length, commuting
// covariances give sum_i (sqrt(a_i) - sqrt(b_i))^2 over their eigenvalues, and
// for 2 x 2 covariances Tr(M^{1/2}) = sqrt(Tr(S1 S2) + 2 sqrt(det S1 det S2)).
// The plug-in estimate is biased upwards by O(d/n): the mean term alone adds
// (Tr S1 + Tr S2)/n in expectation, so compare values computed with equal
// sample sizes. Cost: O((n + m) d^2 + d^3).
//
// # Histogram goodness of fit
//
// To test samples against a density formula p, Counts bins n samples on a
// product grid of regular Bins and BinProbs integrates p over each cell (the
// midpoint rule on sub^D points per cell). For a correct p and independent
// samples the count of a cell with probability q is Binomial(n, q), so
//
//	z = (count - n q) / sqrt(n q (1 - q))
//
// is roughly standard normal where n q is not small; GoodnessOfFit reports
// max |z| and chi^2 = sum (count - n q)^2 / (n q) over the cells with
// n q >= minExpected. Max |z| over K cells exceeds 4.5 with probability
// about K * 7e-6, so a wrong density (a missing Jacobian factor) shows as a
// max |z| far above that. BinRows lays cell values out as rows for
// plots.HeatMap.
//
// Cost. The energy distance and MMD are O((n + m)^2 d) and are summed over
// GOMAXPROCS goroutines (row-interleaved) for more than 65,536 pairs; W2 is
// O(n^3) in the worst case with an n x n matrix, limited to MaxW2Points.
package metrics
