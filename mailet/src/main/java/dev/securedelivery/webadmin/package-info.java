/**
 * James WebAdmin routes for operators (listed under {@code extensions.routes} in
 * {@code conf/webadmin.properties}): the delivery plan of a domain and why, the MTA-STS policy cache
 * (list, refresh, purge), and what deliveries did per destination domain since start. JSON only;
 * docs/operations.md has the routes and curl examples.
 */
package dev.securedelivery.webadmin;
