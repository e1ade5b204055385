/**
 * The HTML dashboard of WebAdmin's {@code /secure-delivery/dashboard}: a view model of one node's
 * delivery posture and of the TLS reports others sent us ({@link dev.securedelivery.dashboard.DashboardData}),
 * the {@link dev.securedelivery.dashboard.DashboardSource} it is loaded from, and the renderer
 * ({@link dev.securedelivery.dashboard.DashboardPage}) that turns it into one self-contained page:
 * no script, no external resource, charts drawn as inline SVG, every peer-chosen string escaped.
 * The page is a Mustache template ({@code dashboard.mustache} in this package's resources); the
 * package-private views beside the renderer ({@code PageView} and one class per section) compute
 * what it places.
 */
package dev.securedelivery.dashboard;
