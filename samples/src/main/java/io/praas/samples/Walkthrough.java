package io.praas.samples;

import io.praas.client.ProcessClient;
import io.praas.client.ProcessSession;
import io.praas.codec.Codec;
import io.praas.codec.Codecs;
import com.fasterxml.jackson.core.type.TypeReference;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A guided tour against a running process of the samples jar: sessions with their own state,
 * process state shared by sessions, and a session resumed over a new connection.
 *
 * <pre>
 * java -cp ... io.praas.samples.Walkthrough 127.0.0.1 8000 [token]
 * </pre>
 */
public final class Walkthrough {
    private static final Codec<Map<String, Long>> TOTALS =
            Codecs.json(new TypeReference<Map<String, Long>>() { }.getType());

    public static void main(String[] args) {
        String host = args.length > 0 ? args[0] : "127.0.0.1";
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 8000;
        String token = args.length > 2 ? args[2] : "";
        String resumedId;
        try (ProcessClient client = connect(host, port, token)) {
            say("connected to process %s at %s:%d (%s)", client.processId(), host, port, client.serverInfo());

            String echoed = new String(client.invoke("echo", "hello, PraaS".getBytes(StandardCharsets.UTF_8)),
                    StandardCharsets.UTF_8);
            say("echo without a session           -> %s", echoed);

            ProcessSession alice = client.openSession();
            ProcessSession bob = client.openSession();
            say("opened sessions alice=%s and bob=%s", alice.id(), bob.id());
            for (int i = 0; i < 3; i++) {
                alice.invoke("counter", "", Codecs.utf8(), Codecs.json(Long.class));
            }
            long aliceCount = alice.invoke("counter", "10", Codecs.utf8(), Codecs.json(Long.class));
            long bobCount = bob.invoke("counter", "", Codecs.utf8(), Codecs.json(Long.class));
            say("counter in alice (3 x +1, +10)   -> %d   (session state)", aliceCount);
            say("counter in bob (+1)              -> %d   (sessions do not share it)", bobCount);

            Map<String, Long> a = alice.invoke("wordCount", "the quick brown fox", Codecs.utf8(), TOTALS);
            Map<String, Long> b = bob.invoke("wordCount", "the lazy dog and the fox", Codecs.utf8(), TOTALS);
            say("wordCount in alice               -> %s", a);
            say("wordCount in bob                 -> %s   (process state is shared)", b);
            resumedId = alice.id();
        }
        say("closed the connection; alice's session stays on the process");
        try (ProcessClient client = connect(host, port, token)) {
            ProcessSession alice = client.resumeSession(resumedId);
            long count = alice.invoke("counter", "", Codecs.utf8(), Codecs.json(Long.class));
            say("resumed alice=%s (resumed=%s)     -> counter %d", alice.id(), alice.resumed(), count);
            alice.close();
            say("closed alice: its state is dropped");
        }
        say("walkthrough done");
    }

    private static ProcessClient connect(String host, int port, String token) {
        return ProcessClient.builder().address(host, port).token(token).clientInfo("walkthrough").connect();
    }

    private static void say(String format, Object... args) {
        System.out.println(String.format(format, args));
    }
}
