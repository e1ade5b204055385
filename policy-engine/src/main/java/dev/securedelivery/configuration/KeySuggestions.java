package dev.securedelivery.configuration;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What to say about an unknown key: the known key it most likely misspells, else the keys of its
 * section, else the sections there are.
 */
final class KeySuggestions {
    private KeySuggestions() {}

    /**
     * A hint for the unknown {@code key}, given the {@code known} keys and the prefix of the keys
     * that continue with a domain ({@code tls-policy.}).
     */
    static String hint(String key, Set<String> known, String familyPrefix) {
        String lower = key.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : new TreeSet<>(known)) {
            int distance = boundedDistance(lower, candidate);
            if (distance < bestDistance && distance <= tolerance(candidate)) {
                best = candidate;
                bestDistance = distance;
            }
        }
        // tls-polcy.example.com: the section name is misspelt, the domain after it is the operator's.
        String family = familyPrefix.substring(0, familyPrefix.length() - 1);
        int dot = key.indexOf('.');
        String head = dot < 0 ? lower : lower.substring(0, dot);
        int familyDistance = boundedDistance(head, family);
        if (familyDistance < bestDistance && familyDistance <= tolerance(family)) {
            best = familyPrefix + (dot < 0 || dot == key.length() - 1 ? "<domain>" : key.substring(dot + 1));
        }
        if (best != null) {
            return "did you mean " + best + "?";
        }
        Set<String> section = section(lower, known);
        if (!section.isEmpty()) {
            return "the keys under " + lower.substring(0, lower.indexOf('.') + 1) + " are "
                    + String.join(", ", section);
        }
        Set<String> sections = known.stream()
                .map(name -> name.substring(0, name.indexOf('.') + 1))
                .collect(Collectors.toCollection(TreeSet::new));
        sections.add(familyPrefix);
        return "every key starts with one of " + String.join(" ", sections)
                + " (docs/operations.md, \"Configuration\")";
    }

    // One typo in a short key, up to three in a long one: more and the guess would mislead.
    private static int tolerance(String candidate) {
        return Math.max(1, Math.min(3, candidate.length() / 5));
    }

    // Lengths that differ by more than any tolerance need no table (a key may be as long as the file).
    private static int boundedDistance(String a, String b) {
        return Math.abs(a.length() - b.length()) > 3 ? Integer.MAX_VALUE : distance(a, b);
    }

    private static Set<String> section(String key, Set<String> known) {
        int dot = key.indexOf('.');
        if (dot <= 0) {
            return Set.of();
        }
        String section = key.substring(0, dot + 1);
        return known.stream().filter(name -> name.startsWith(section)).collect(Collectors.toCollection(TreeSet::new));
    }

    /** Edits (insertions, deletions, substitutions, swaps of neighbours) that turn {@code a} into {@code b}. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
