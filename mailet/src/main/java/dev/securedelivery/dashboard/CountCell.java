package dev.securedelivery.dashboard;

import dev.securedelivery.posture.Protection;

/**
 * One count in a table cell ({@code count-cell.mustache}): plain digits, named by a {@code data-}
 * attribute so that a program reads the page as a person does, and greyed where it is 0. The
 * template reads the fields by name.
 */
final class CountCell {
    /** {@code data-protection} or {@code data-count}. */
    final String attribute;
    /** The attribute's value: a protection level's label, or what is counted ({@code delivered}, ...). */
    final String key;

    final long count;
    final boolean zero;

    private CountCell(String attribute, String key, long count) {
        this.attribute = attribute;
        this.key = key;
        this.count = count;
        this.zero = count == 0;
    }

    /** The messages delivered with {@code protection}: {@code data-protection="dane"}. */
    static CountCell of(Protection protection, long count) {
        return new CountCell("data-protection", protection.label(), count);
    }

    /** A count of {@code what}: {@code data-count="deferred"}. */
    static CountCell of(String what, long count) {
        return new CountCell("data-count", what, count);
    }
}
