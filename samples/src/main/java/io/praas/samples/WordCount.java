package io.praas.samples;

import io.praas.function.Context;
import io.praas.function.Function;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts the words of its input and adds them to totals kept in process state, which every session
 * of the process shares. Returns the process-wide totals of the words in this input.
 */
public final class WordCount implements Function<String, Map<String, Long>> {
    @Override
    public Map<String, Long> handle(String text, Context context) {
        Map<String, Long> counts = new TreeMap<>();
        for (String word : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}']+")) {
            if (!word.isEmpty()) {
                counts.merge(word, 1L, Long::sum);
            }
        }
        Map<String, Long> totals = new TreeMap<>();
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            long total = context.processState().compute("word:" + e.getKey(), Long.class,
                    n -> (n == null ? 0 : n) + e.getValue());
            totals.put(e.getKey(), total);
        }
        return totals;
    }
}
