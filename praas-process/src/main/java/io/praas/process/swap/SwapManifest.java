package io.praas.process.swap;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.time.Instant;
import java.util.List;

/**
 * The manifest of one swap snapshot, stored as JSON next to its data object and written last: a
 * snapshot without a manifest is incomplete and never restored. See {@code SNAPSHOT.md}.
 *
 * @param format          always {@link #FORMAT}
 * @param version         the snapshot format version
 * @param application     the process's application
 * @param processId       the process
 * @param generation      the swap generation (1, 2, ...)
 * @param createdAt       when the snapshot was committed
 * @param dataKey         the object holding the snapshot stream
 * @param partSize        bytes per part (all but the last)
 * @param parts           each part's offset, size and checksum
 * @param totalBytes      bytes of the stream
 * @param sha256          version 1: the whole stream's composite SHA-256 (of the parts' digests); else null
 * @param crc32c          version 2: the whole stream's composite CRC32C (of the parts' CRC32Cs); else null
 * @param processEntries  process-state entries
 * @param sessions        sessions
 * @param sessionEntries  session-state entries, all sessions together
 * @param stateBytes      bytes of state held by the process when it swapped
 */
public record SwapManifest(String format, int version, String application, String processId, long generation,
                           Instant createdAt, String dataKey, int partSize, List<Part> parts, long totalBytes,
                           String sha256, String crc32c, long processEntries, long sessions, long sessionEntries, long stateBytes) {
    public static final String FORMAT = "praas-swap-snapshot";
    /** The version this runtime writes. */
    public static final int VERSION = 2;
    /** The oldest version this runtime still reads. */
    public static final int OLDEST_READABLE_VERSION = 1;

    /** One part of the data object with its checksum in hex: SHA-256 in version 1, CRC32C from version 2 on (the other null). */
    public record Part(int number, long offset, int size, String sha256, String crc32c) {
    }

    public SwapManifest {
        parts = List.copyOf(parts);
    }

    private static final JsonFactory JSON = new JsonFactory();

    /**
     * This manifest as JSON, written with Jackson's streaming generator (no object mapper to build in
     * a process that swaps out once): the record's fields in order (a null checksum left out), {@code createdAt} as ISO-8601.
     */
    public byte[] toJson() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(512 + 128 * parts.size());
        try (com.fasterxml.jackson.core.JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("format", format);
            g.writeNumberField("version", version);
            g.writeStringField("application", application);
            g.writeStringField("processId", processId);
            g.writeNumberField("generation", generation);
            g.writeStringField("createdAt", createdAt.toString());
            g.writeStringField("dataKey", dataKey);
            g.writeNumberField("partSize", partSize);
            g.writeArrayFieldStart("parts");
            for (Part p : parts) {
                g.writeStartObject();
                g.writeNumberField("number", p.number());
                g.writeNumberField("offset", p.offset());
                g.writeNumberField("size", p.size());
                if (p.sha256() != null) {
                    g.writeStringField("sha256", p.sha256());
                }
                if (p.crc32c() != null) {
                    g.writeStringField("crc32c", p.crc32c());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeNumberField("totalBytes", totalBytes);
            if (sha256 != null) {
                g.writeStringField("sha256", sha256);
            }
            if (crc32c != null) {
                g.writeStringField("crc32c", crc32c);
            }
            g.writeNumberField("processEntries", processEntries);
            g.writeNumberField("sessions", sessions);
            g.writeNumberField("sessionEntries", sessionEntries);
            g.writeNumberField("stateBytes", stateBytes);
            g.writeEndObject();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // a byte array does not fail
        }
        return out.toByteArray();
    }

    /**
     * Reads a manifest from its JSON with Jackson's streaming parser: a swap-in reads one before
     * it serves, and a cold object mapper with module discovery costs 0.15-0.4 s of it. Fields it does not know are skipped.
     *
     * @throws IOException when the JSON does not parse or lacks a field
     */
    public static SwapManifest fromJson(byte[] json) throws IOException {
        java.util.Map<String, Object> f = new java.util.HashMap<>();
        List<Part> parts = null;
        try (JsonParser p = JSON.createParser(json)) {
            expect(p.nextToken(), JsonToken.START_OBJECT, p);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (name.equals("parts")) {
                    expect(t, JsonToken.START_ARRAY, p);
                    parts = new java.util.ArrayList<>();
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        java.util.Map<String, Object> pf = new java.util.HashMap<>();
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String n = p.currentName();
                            pf.put(n, value(p.nextToken(), p));
                        }
                        parts.add(new Part((int) number(pf, "number"), number(pf, "offset"), (int) number(pf, "size"),
                                optionalText(pf, "sha256"), optionalText(pf, "crc32c")));
                    }
                } else {
                    f.put(name, value(t, p));
                }
            }
        } catch (JsonProcessingException | RuntimeException e) {
            throw new IOException(e.getMessage(), e);
        }
        if (parts == null) {
            throw new IOException("manifest field 'parts' is missing");
        }
        Instant createdAt;
        try {
            createdAt = Instant.parse(text(f, "createdAt"));
        } catch (java.time.format.DateTimeParseException e) {
            throw new IOException("manifest field 'createdAt' is not an instant: " + e.getMessage(), e);
        }
        return new SwapManifest(text(f, "format"), (int) number(f, "version"), text(f, "application"),
                text(f, "processId"), number(f, "generation"), createdAt, text(f, "dataKey"),
                (int) number(f, "partSize"), parts, number(f, "totalBytes"), optionalText(f, "sha256"), optionalText(f, "crc32c"),
                number(f, "processEntries"), number(f, "sessions"), number(f, "sessionEntries"), number(f, "stateBytes"));
    }

    private static void expect(JsonToken t, JsonToken want,
                               JsonParser p) throws IOException {
        if (t != want) {
            throw new IOException("expected " + want + " at " + p.currentLocation() + ", found " + t);
        }
    }

    /** A scalar's value; objects and arrays (of fields it does not know) are skipped. */
    private static Object value(JsonToken t, JsonParser p)
            throws IOException {
        if (t == JsonToken.VALUE_NUMBER_INT) {
            return p.getLongValue();
        }
        if (t == JsonToken.VALUE_STRING) {
            return p.getText();
        }
        p.skipChildren();
        return null;
    }

    private static long number(java.util.Map<String, Object> f, String name) throws IOException {
        if (f.get(name) instanceof Long n) {
            return n;
        }
        throw new IOException("manifest field '" + name + "' is missing or not a number");
    }

    private static String text(java.util.Map<String, Object> f, String name) throws IOException {
        if (f.get(name) instanceof String s) {
            return s;
        }
        throw new IOException("manifest field '" + name + "' is missing or not a string");
    }

    /** A string field that may be absent (null then); present, it must be a string. */
    private static String optionalText(java.util.Map<String, Object> f, String name) throws IOException {
        return f.get(name) == null ? null : text(f, name);
    }

    /** The key prefix of every generation of a process's snapshots. */
    public static String prefix(String application, String processId) {
        return "swaps/" + application + "/" + processId + "/";
    }

    /**
     * The generation of an object {@code key} under {@code prefix} (a process's {@link #prefix}), or
     * {@link Long#MAX_VALUE} when the key is not in a generation's folder: such objects are not ours
     * to remove with older generations.
     */
    public static long generationOf(String prefix, String key) {
        if (!key.startsWith(prefix + "gen-")) {
            return Long.MAX_VALUE;
        }
        int from = prefix.length() + 4;
        int slash = key.indexOf('/', from);
        try {
            return slash < 0 ? Long.MAX_VALUE : Long.parseLong(key.substring(from, slash));
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    /** The key prefix of one generation. */
    public static String generationPrefix(String application, String processId, long generation) {
        return prefix(application, processId) + String.format("gen-%012d/", generation);
    }

    public static String manifestKey(String application, String processId, long generation) {
        return generationPrefix(application, processId, generation) + "manifest.json";
    }

    public static String dataKey(String application, String processId, long generation) {
        return generationPrefix(application, processId, generation) + "data";
    }

    /** The data key next to manifest key {@code manifestKey}; null if it is not a manifest's key. */
    public static String dataKeyOf(String manifestKey) {
        String name = "manifest.json";
        return manifestKey.endsWith("/" + name) ? manifestKey.substring(0, manifestKey.length() - name.length()) + "data"
                : null;
    }
}
