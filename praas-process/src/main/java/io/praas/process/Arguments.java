package io.praas.process;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The option parser of the process runtime's command line: {@code --name value} or
 * {@code --name=value}, each option falling back to an environment variable and then to a default,
 * and {@code @file} for arguments kept in a file. It is written out here rather than taken from
 * picocli because it runs first in every process start: picocli's Java 5 classes cannot go into
 * the class-data-sharing archive and its reflective model took ~200 ms of each start.
 *
 * <pre>{@code
 * enum Opt implements Arguments.Option<MyCommand> { ... }
 * Arguments.parse(command, Opt.values(), List.of("--port", "0"), System.getenv());
 * }</pre>
 */
final class Arguments {
    /** Joins words the help must not wrap apart ("env PRAAS_PORT"). */
    private static final char KEEP = '\u0001';

    private Arguments() {
    }

    /**
     * What an option is called, where else its value comes from, its help ({@code env} and
     * {@code defaultValue} may be null) and how it sets a command's field.
     */
    record Spec<C>(String flag, String env, String defaultValue, String description,
                   java.util.function.BiConsumer<C, String> setter) {
    }

    /** One option of a command. */
    interface Option<C> {
        Spec<C> spec();

        default String flag() {
            return spec().flag();
        }

        default String env() {
            return spec().env();
        }

        default String defaultValue() {
            return spec().defaultValue();
        }

        default String description() {
            return spec().description();
        }

        /** An option without a value ({@code --dev}); {@code --dev=false} and its variable still set it. */
        default boolean isSwitch() {
            return false;
        }

        default boolean required() {
            return false;
        }

        /** Sets the command's field. @throws IllegalArgumentException when the value does not convert */
        default void apply(C command, String value) {
            spec().setter().accept(command, value);
        }
    }

    /** Wrong arguments: the message says which, for a "praas COMMAND: message" line. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    /**
     * Sets every option of {@code command}: from {@code args}, else its environment variable (when
     * set and not blank), else its default. Options that end up without a value are left alone.
     */
    static <C> void parse(C command, Option<C>[] options, List<String> args, Map<String, String> env)
            throws UsageException {
        Map<Option<C>, String> given = new HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            int eq = arg.indexOf('=');
            String name = arg.startsWith("--") && eq > 0 ? arg.substring(0, eq) : arg;
            Option<C> option = find(options, name);
            if (option == null) {
                throw new UsageException("unknown option '" + arg + "'");
            }
            String value;
            if (name.length() < arg.length()) {
                value = arg.substring(eq + 1);
            } else if (option.isSwitch()) {
                value = "true";
            } else if (i + 1 < args.size() && find(options, args.get(i + 1).split("=", 2)[0]) == null) {
                value = args.get(++i);
            } else {
                throw new UsageException("option '" + name + "' needs a value");
            }
            given.put(option, value);
        }
        for (Option<C> option : options) {
            String value = given.get(option);
            if (value == null && option.env() != null) {
                String fromEnv = env.get(option.env());
                value = fromEnv == null || fromEnv.isBlank() ? null : fromEnv;
            }
            if (value == null) {
                value = option.defaultValue();
            }
            if (value == null) {
                if (option.required()) {
                    throw new UsageException("option '" + option.flag() + "' is required");
                }
                continue;
            }
            try {
                option.apply(command, value);
            } catch (IllegalArgumentException e) {
                throw new UsageException("invalid value for option '" + option.flag() + "': " + e.getMessage());
            }
        }
    }

    private static <C> Option<C> find(Option<C>[] options, String flag) {
        for (Option<C> o : options) {
            if (o.flag().equals(flag)) {
                return o;
            }
        }
        return null;
    }

    /**
     * Replaces each {@code @file} argument by the arguments in that file: separated by whitespace,
     * quoted with {@code "} or {@code '} where they contain some, lines starting with {@code #}
     * left out. {@code @@x} stands for the literal argument {@code @x}.
     */
    static List<String> expandFiles(List<String> args) throws UsageException {
        List<String> out = new ArrayList<>();
        for (String arg : args) {
            if (arg.startsWith("@@")) {
                out.add(arg.substring(1));
            } else if (arg.startsWith("@") && arg.length() > 1) {
                Path file = Path.of(arg.substring(1));
                try {
                    out.addAll(split(Files.readString(file, StandardCharsets.UTF_8)));
                } catch (IOException e) {
                    throw new UsageException("cannot read the argument file " + file + ": " + e.getMessage());
                }
            } else {
                out.add(arg);
            }
        }
        return out;
    }

    private static List<String> split(String text) throws UsageException {
        List<String> out = new ArrayList<>();
        StringBuilder current = null;
        char quote = 0;
        for (String line : text.split("\\R")) {
            if (quote == 0 && line.strip().startsWith("#")) {
                continue;
            }
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (quote != 0) {
                    if (c == quote) {
                        quote = 0;
                    } else {
                        current.append(c);
                    }
                } else if (c == '"' || c == '\'') {
                    quote = c;
                    current = current == null ? new StringBuilder() : current;
                } else if (Character.isWhitespace(c)) {
                    if (current != null) {
                        out.add(current.toString());
                        current = null;
                    }
                } else {
                    current = current == null ? new StringBuilder() : current;
                    current.append(c);
                }
            }
            if (quote != 0) {
                current.append('\n');
            } else if (current != null) {
                out.add(current.toString());
                current = null;
            }
        }
        if (quote != 0) {
            throw new UsageException("an argument file has an unclosed " + quote);
        }
        return out;
    }

    /** The help of one command: usage line, description, then each option with its variable and default. */
    static <C> void usage(PrintStream out, String command, String description, Option<C>[] options) {
        out.println("Usage: praas " + command + " [OPTIONS]");
        out.println(description);
        out.println();
        int width = 0;
        for (Option<C> o : options) {
            width = Math.max(width, label(o).length());
        }
        for (Option<C> o : options) {
            StringBuilder text = new StringBuilder(o.description());
            List<String> notes = new ArrayList<>();
            if (o.env() != null) {
                notes.add("env" + KEEP + o.env());
            }
            if (o.defaultValue() != null) {
                notes.add("default" + KEEP + o.defaultValue());
            }
            if (o.required()) {
                notes.add("required");
            }
            if (!notes.isEmpty()) {
                text.append(" (").append(String.join("; ", notes)).append(')');
            }
            List<String> lines = wrap(text.toString(), Math.max(40, 100 - width - 4));
            for (int i = 0; i < lines.size(); i++) {
                String left = i == 0 ? label(o) : "";
                out.println("  " + left + " ".repeat(width - left.length() + 2) + lines.get(i).replace(KEEP, ' '));
            }
        }
        out.println("  -h, --help" + " ".repeat(Math.max(2, width - 8)) + "Show this help and exit.");
    }

    private static String label(Option<?> o) {
        return o.isSwitch() ? o.flag() : o.flag() + " VALUE";
    }

    private static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(word);
        }
        lines.add(line.toString());
        return lines;
    }
}
