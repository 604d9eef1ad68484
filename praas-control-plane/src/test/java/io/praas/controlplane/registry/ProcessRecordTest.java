package io.praas.controlplane.registry;

import io.praas.backend.Resources;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A process record keeps its first transition and the latest ones, not every one. */
class ProcessRecordTest {
    private static final Instant CREATED = Instant.parse("2026-11-24T00:00:00Z");

    @Test
    void aRecordKeepsItsFirstTransitionAndTheLatestOnesUpToTheLimit() {
        ProcessRecord r = ProcessRecord.allocating("app", "p-1", new Resources(1, 256), "node-1", CREATED)
                .withStatus(ProcessStatus.ACTIVE, CREATED.plusSeconds(1));
        ProcessStatus[] cycle = {ProcessStatus.SWAPPING_OUT, ProcessStatus.SWAPPED_OUT, ProcessStatus.SWAPPING_IN,
                ProcessStatus.ACTIVE};
        int changes = 1_000; // 250 swap cycles
        for (int i = 0; i < changes; i++) {
            r = r.withStatus(cycle[i % cycle.length], CREATED.plusSeconds(2 + i));
        }

        List<ProcessRecord.Transition> t = r.transitions();
        assertThat(t).hasSize(ProcessRecord.MAX_TRANSITIONS);
        assertThat(r.transitionsTruncated()).isTrue();
        assertThat(t.get(0)).isEqualTo(new ProcessRecord.Transition(ProcessStatus.ALLOCATING, CREATED));
        assertThat(t.get(t.size() - 1)).isEqualTo(new ProcessRecord.Transition(ProcessStatus.ACTIVE,
                CREATED.plusSeconds(2 + changes - 1)));
        for (int i = 2; i < t.size(); i++) {
            assertThat(t.get(i).at()).as("transition %d follows the one before by a second", i)
                    .isEqualTo(t.get(i - 1).at().plusSeconds(1));
        }
    }

    @Test
    void aRecordWrittenWithMoreTransitionsThanTheLimitIsCutAtItsNextChange() {
        // As a record written before the limit may hold: 100 transitions.
        ProcessRecord old = ProcessRecord.allocating("app", "p-1", new Resources(1, 256), "node-1", CREATED);
        List<ProcessRecord.Transition> many = new java.util.ArrayList<>(old.transitions());
        for (int i = 1; i < 100; i++) {
            many.add(new ProcessRecord.Transition(i % 2 == 0 ? ProcessStatus.ACTIVE : ProcessStatus.SWAPPED_OUT,
                    CREATED.plusSeconds(i)));
        }
        ProcessRecord r = new ProcessRecord("app", "p-1", ProcessStatus.ACTIVE, old.resources(), null, null, "node-1",
                null, old.metrics(), many, null);

        ProcessRecord next = r.withStatus(ProcessStatus.SWAPPING_OUT, CREATED.plusSeconds(100));

        assertThat(next.transitions()).hasSize(ProcessRecord.MAX_TRANSITIONS);
        assertThat(next.transitions().get(0).status()).isEqualTo(ProcessStatus.ALLOCATING);
        assertThat(next.transitions().get(1).at()).isEqualTo(CREATED.plusSeconds(100 - ProcessRecord.MAX_TRANSITIONS + 2));
        assertThat(next.transitions().get(ProcessRecord.MAX_TRANSITIONS - 1).status()).isEqualTo(ProcessStatus.SWAPPING_OUT);
    }

    @Test
    void aRecordWithFewTransitionsKeepsThemAll() {
        ProcessRecord r = ProcessRecord.allocating("app", "p-1", new Resources(1, 256), "node-1", CREATED)
                .withStatus(ProcessStatus.ACTIVE, CREATED.plusSeconds(1))
                .withStatus(ProcessStatus.SWAPPING_OUT, CREATED.plusSeconds(2));

        assertThat(r.transitions()).extracting(ProcessRecord.Transition::status)
                .containsExactly(ProcessStatus.ALLOCATING, ProcessStatus.ACTIVE, ProcessStatus.SWAPPING_OUT);
        assertThat(r.transitionsTruncated()).isFalse();
    }
}
