package io.praas.controlplane;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The k-means sample over three processes of the samples application: the all-reduce over PraaS
 * messaging and the exchange through the S3-compatible store compute the same centroids, every
 * member ends with identical ones, and the clustering converges (its inertia drops).
 */
class KmeansSampleTest {
    private static final String APP = "kmeans";
    private static final List<String> GROUP = List.of("km-0", "km-1", "km-2");

    @TempDir
    static Path dataDir;
    private static ControlPlane cp;
    private static Api api;
    private static final ExecutorService callers = Executors.newCachedThreadPool();

    @BeforeAll
    static void startThreeProcessesWithData() {
        cp = ControlPlane.start(ControlPlanes.options(dataDir).config());
        api = Api.admin(cp);
        ControlPlanes.deploy(api, APP, Map.of("maxProcesses", 3));
        for (String id : GROUP) {
            assertThat(api.post("/v1/applications/" + APP + "/processes", Map.of("name", id)).status()).isEqualTo(201);
            Api.Reply loaded = api.invoke(APP, "kmeansLoad", "?process=" + id,
                    Api.json(Map.of("points", 3000, "dims", 3, "k", 4, "seed", 7)));
            assertThat(loaded.text()).as("%s", loaded).isEqualTo("3000");
        }
    }

    @AfterAll
    static void stop() {
        callers.shutdownNow();
        if (cp != null) {
            cp.close();
        }
    }

    /** Runs the sample on every member at once; returns each member's answer. */
    private static List<JsonNode> run(String via, int epochs) throws Exception {
        List<Future<Api.Reply>> calls = new ArrayList<>();
        String run = via + "-" + epochs + "-" + System.nanoTime(); // one run id for every member
        for (String id : GROUP) {
            Map<String, Object> req = new HashMap<>();
            req.put("group", GROUP);
            req.put("k", 4);
            req.put("epochs", epochs);
            req.put("via", via);
            req.put("run", run);
            req.put("redis", "");
            req.put("seed", 7);
            calls.add(callers.submit(() -> api.invoke(APP, "kmeans", "?process=" + id, Api.json(req))));
        }
        List<JsonNode> out = new ArrayList<>();
        for (Future<Api.Reply> c : calls) {
            Api.Reply r = c.get(120, TimeUnit.SECONDS);
            assertThat(r.status()).as("%s", r).isEqualTo(200);
            out.add(r.json());
        }
        return out;
    }

    @Test
    void messagingAndS3ComputeTheSameCentroidsOnEveryMember() throws Exception {
        List<JsonNode> messaging = run("messaging", 8);
        List<JsonNode> s3 = run("s3", 8);

        for (List<JsonNode> answers : List.of(messaging, s3)) {
            assertThat(answers).extracting(a -> a.path("centroids").toString()).as("members agree").containsOnly(
                    answers.get(0).path("centroids").toString());
            assertThat(answers.get(0).path("epochNanos")).hasSize(8);
            assertThat(answers.get(0).path("stepNanos")).hasSize(8);
        }
        JsonNode a = messaging.get(0).path("centroids");
        JsonNode b = s3.get(0).path("centroids");
        assertThat(a).hasSize(4 * 3);
        for (int i = 0; i < a.size(); i++) {
            assertThat(a.get(i).asDouble()).as("coordinate %d", i).isCloseTo(b.get(i).asDouble(), within(1e-9));
        }
    }

    @Test
    void moreEpochsLowerTheInertia() throws Exception {
        double afterOne = run("messaging", 1).get(0).path("inertia").asDouble();
        double afterTen = run("messaging", 10).get(0).path("inertia").asDouble();

        assertThat(afterTen).isLessThan(afterOne);
    }
}
