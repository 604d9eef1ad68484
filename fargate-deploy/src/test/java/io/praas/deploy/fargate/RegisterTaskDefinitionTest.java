package io.praas.deploy.fargate;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code praas fargate register-task-definition} against the ECS endpoint on loopback. */
class RegisterTaskDefinitionTest {
    private static final Path TEMPLATE = Path.of("task-definition.json"); // fargate-deploy/, Surefire's working directory
    private FakeEcs ecs;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream stdout;
    private PrintStream stderr;

    @BeforeEach
    void start() throws Exception {
        ecs = new FakeEcs();
        stdout = System.out;
        stderr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void stop() {
        System.setOut(stdout);
        System.setErr(stderr);
        ecs.close();
    }

    private int run(String... args) {
        String[] common = {"register-task-definition", "--region", "us-east-1", "--endpoint", ecs.endpoint().toString(),
                "--access-key", "test", "--secret-key", "test"};
        String[] all = new String[common.length + args.length];
        System.arraycopy(common, 0, all, 0, common.length);
        System.arraycopy(args, 0, all, common.length, args.length);
        return new CommandLine(new FargateCommand()).execute(all);
    }

    @Test
    void theShippedTemplateIsRegisteredWithTheImageAndRolesGiven() {
        int code = run("--template", TEMPLATE.toString(), "--image", "registry.example/praas-process:9",
                "--execution-role-arn", "arn:aws:iam::1:role/exec", "--task-role-arn", "arn:aws:iam::1:role/proc");

        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        JsonNode r = ecs.bodies("RegisterTaskDefinition").get(0);
        assertThat(r.path("family").asText()).isEqualTo("praas-process");
        assertThat(r.path("networkMode").asText()).isEqualTo("awsvpc");
        assertThat(r.path("requiresCompatibilities")).extracting(JsonNode::asText).containsExactly("FARGATE");
        assertThat(r.path("executionRoleArn").asText()).isEqualTo("arn:aws:iam::1:role/exec");
        assertThat(r.path("taskRoleArn").asText()).isEqualTo("arn:aws:iam::1:role/proc");
        JsonNode c = r.path("containerDefinitions").get(0);
        assertThat(c.path("name").asText()).isEqualTo("praas");
        assertThat(c.path("image").asText()).isEqualTo("registry.example/praas-process:9");
        assertThat(c.path("portMappings").get(0).path("containerPort").asInt()).isEqualTo(8000);
        assertThat(c.path("logConfiguration").path("options").path("awslogs-group").asText()).isEqualTo("/praas/processes");
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("registered task definition praas-process:1")
                .contains("--backend-setting task-definition=praas-process:1");
    }

    @Test
    void aTemplateWithoutTheProcessContainerIsRefusedBeforeCallingEcs(@TempDir Path dir) throws Exception {
        Path t = dir.resolve("t.json");
        Files.writeString(t, Files.readString(TEMPLATE).replace("\"name\": \"praas\"", "\"name\": \"app\""));

        assertThat(run("--template", t.toString())).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("no container named 'praas'");
        assertThat(ecs.calls).isEmpty();
    }

    @Test
    void aFieldEcsDoesNotKnowIsNamed(@TempDir Path dir) throws Exception {
        Path t = dir.resolve("t.json");
        Files.writeString(t, Files.readString(TEMPLATE).replace("\"family\"", "\"familly\": \"x\", \"family\""));

        assertThat(run("--template", t.toString())).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("familly");
        assertThat(ecs.calls).isEmpty();
    }
}
