package io.praas.samples;

import com.fasterxml.jackson.core.type.TypeReference;
import io.praas.client.InvokeResult;
import io.praas.client.Praas;
import io.praas.client.ProcessClient;
import io.praas.client.ProcessInfo;
import io.praas.client.ProcessSession;
import io.praas.client.ProcessSpec;
import io.praas.codec.Codec;
import io.praas.codec.Codecs;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * A guided tour of PraaS against a running control plane whose application {@code samples} has the
 * samples jar: a process, invocation through the control plane and directly, sessions with their
 * own state, process state shared by sessions, a swap-out and swap-in that the session does not
 * notice, and k-means over two processes whose partial sums meet by all-reduce over peer messaging.
 *
 * <pre>
 * java -cp ... io.praas.samples.Walkthrough http://127.0.0.1:8080 ADMIN_KEY
 * </pre>
 */
public final class Walkthrough {
    private static final String APP = "samples";
    private static final Codec<Map<String, Long>> TOTALS =
            Codecs.json(new TypeReference<Map<String, Long>>() { }.getType());

    public static void main(String[] args) {
        String url = args.length > 0 ? args[0] : "http://127.0.0.1:8080";
        String adminKey = args.length > 1 ? args[1] : "";
        try (Praas praas = Praas.builder().url(url).adminKey(adminKey).build()) {
            ProcessInfo p = praas.createProcess(APP, ProcessSpec.named("tour"));
            say("created process %s: %s at %s", p.id(), p.status(), p.endpoint());

            InvokeResult viaControlPlane = praas.invoke(APP, "echo", "hello through the control plane".getBytes(StandardCharsets.UTF_8));
            say("echo via the control plane      -> %s   (ran on %s)", viaControlPlane.outputText(), viaControlPlane.process());

            try (ProcessClient client = praas.connect(p)) {
                say("connected to %s directly over the data plane (%s)", client.processId(), client.serverInfo());
                String echoed = client.invoke("echo", "hello, data plane", Codecs.utf8(), Codecs.utf8());
                say("echo over the data plane        -> %s", echoed);

                ProcessSession alice = client.openSession();
                ProcessSession bob = client.openSession();
                for (int i = 0; i < 3; i++) {
                    alice.invoke("counter", "", Codecs.utf8(), Codecs.json(Long.class));
                }
                long aliceCount = alice.invoke("counter", "10", Codecs.utf8(), Codecs.json(Long.class));
                long bobCount = bob.invoke("counter", "", Codecs.utf8(), Codecs.json(Long.class));
                say("counter in session alice        -> %d   (3 x +1, then +10: session state)", aliceCount);
                say("counter in session bob          -> %d   (sessions do not share it)", bobCount);
                say("wordCount from alice            -> %s", alice.invoke("wordCount", "the quick brown fox", Codecs.utf8(), TOTALS));
                say("wordCount from bob              -> %s   (process state is shared)",
                        bob.invoke("wordCount", "the lazy dog and the fox", Codecs.utf8(), TOTALS));

                ProcessInfo swapped = praas.swapOut(APP, p.id());
                say("swapped %s out: %s, snapshot generation %d of %d bytes written in %d ms", p.id(), swapped.status(),
                        swapped.snapshot().generation(), swapped.snapshot().snapshotBytes(), swapped.snapshot().durationMs());

                long afterSwap = alice.invoke("counter", "", Codecs.utf8(), Codecs.json(Long.class));
                say("counter in alice after the swap -> %d   (the client swapped the process in and resumed the session)", afterSwap);
                say("wordCount from bob              -> %s   (process state came back too)",
                        bob.invoke("wordCount", "fox", Codecs.utf8(), TOTALS));
            }
            messaging(praas, p);

            ProcessInfo now = praas.getProcess(APP, p.id());
            say("process %s is %s; it went through %s", now.id(), now.status(),
                    now.transitions().stream().map(t -> t.status().name()).collect(Collectors.joining(" -> ")));
            praas.deleteProcess(APP, p.id());
            say("deleted process %s (and its snapshot)", p.id());
        }
        say("walkthrough done");
    }

    /** A second process, and k-means over both: the partial sums of each epoch meet by all-reduce. */
    private static void messaging(Praas praas, ProcessInfo tour) {
        ProcessInfo peer = praas.createProcess(APP, ProcessSpec.named("peer"));
        say("created process %s: %s at %s", peer.id(), peer.status(), peer.endpoint());
        Codec<Map<String, Object>> json = Codecs.json(new TypeReference<Map<String, Object>>() { }.getType());
        List<String> group = List.of(tour.id(), peer.id());
        try (ProcessClient a = praas.connect(praas.getProcess(APP, tour.id())); ProcessClient b = praas.connect(peer)) {
            for (ProcessClient c : List.of(a, b)) {
                c.invoke("kmeansLoad", Map.<String, Object>of("points", 20_000, "dims", 2, "k", 3, "seed", 1), json,
                        Codecs.json(Integer.class));
            }
            Map<String, Object> run = Map.of("group", group, "k", 3, "epochs", 20, "via", "messaging", "run", "tour",
                    "redis", "", "seed", 1);
            CompletableFuture<byte[]> onPeer = b.invokeAsync("kmeans", json.encode(run));
            Map<String, Object> result = json.decode(a.invoke("kmeans", json.encode(run)));
            onPeer.join();
            @SuppressWarnings("unchecked")
            List<Number> nanos = (List<Number>) result.get("epochNanos");
            double[] ms = nanos.stream().mapToDouble(n -> n.doubleValue() / 1e6).sorted().toArray();
            say("k-means over %s, 2 x 20,000 points -> inertia %.0f after 20 epochs, median epoch %.1f ms "
                    + "(all-reduce of the partial sums over peer messaging)", group, ((Number) result.get("inertia")).doubleValue(),
                    ms[ms.length / 2]);
        }
        praas.deleteProcess(APP, peer.id());
        say("deleted process %s", peer.id());
    }

    private static void say(String format, Object... args) {
        System.out.println(String.format(format, args));
    }
}
