package dev.securedelivery.dashboard;

import java.time.LocalDate;

/** Where the dashboard's figures come from. */
public interface DashboardSource {
    /**
     * The dashboard of the UTC days {@code from} to {@code to}, both included ({@code from} is not
     * after {@code to}).
     */
    DashboardData load(LocalDate from, LocalDate to);
}
