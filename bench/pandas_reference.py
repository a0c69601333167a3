"""The reference a user would write by hand: five core metrics of a month in pandas.

sessions, customers, first_response_s, reply_3min_rate and satisfaction per agent,
from the CSV exports, with the same round rules kept simple (no bots, windows or
transfers).  It is here to be compared with cskpi, not to be used.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd


def compute(folder: Path) -> tuple[pd.DataFrame, float, float]:
    t0 = time.perf_counter()
    msgs = pd.read_csv(folder / "messages.csv", usecols=["session_id", "ts", "sender", "agent_id",
                                                         "customer_id"],
                       dtype=str, engine="pyarrow")
    sessions = pd.read_csv(folder / "sessions.csv", dtype=str, engine="pyarrow")
    ratings = pd.read_csv(folder / "ratings.csv", dtype=str, engine="pyarrow")
    t_load = time.perf_counter() - t0
    msgs["ts"] = pd.to_datetime(msgs["ts"])
    msgs = msgs[msgs["sender"].isin(["customer", "agent"])]
    msgs = msgs.sort_values(["session_id", "ts", "sender"], ascending=[True, True, False])
    msgs["is_reply"] = msgs["sender"].eq("agent").astype("int64")
    msgs["k"] = msgs.groupby("session_id")["is_reply"].cumsum() - msgs["is_reply"]
    cust = msgs[msgs["is_reply"] == 0].groupby(["session_id", "k"])["ts"].min()
    reply = msgs[msgs["is_reply"] == 1].groupby(["session_id", "k"])["ts"].min()
    rounds = pd.concat([cust.rename("start"), reply.rename("reply")], axis=1)
    rounds = rounds[rounds["start"].notna()].reset_index()
    rounds["resp"] = (rounds["reply"] - rounds["start"]).dt.total_seconds()
    rounds = rounds.merge(sessions[["session_id", "agent_id", "customer_id"]], on="session_id")
    rounds["within"] = rounds["resp"].le(180)
    first = rounds.sort_values("k").groupby("session_id").head(1)
    s = sessions[sessions["agent_id"].notna()]
    s = s.merge(ratings[["session_id", "score"]], on="session_id", how="left")
    out = pd.DataFrame({
        "sessions": s.groupby("agent_id")["session_id"].count(),
        "customers": s.groupby("agent_id")["customer_id"].nunique(),
        "first_response_s": first.groupby("agent_id")["resp"].mean(),
        "reply_3min_rate": rounds.groupby("agent_id")["within"].mean(),
        "satisfaction": s[s["score"].notna()].groupby("agent_id")["score"].apply(
            lambda x: x.isin(["4", "5"]).mean()),
    })
    return out, t_load, time.perf_counter() - t0


if __name__ == "__main__":
    table, load_s, total_s = compute(Path(sys.argv[1]))
    print(table.head())
    print(f"load {load_s:.2f} s, total {total_s:.2f} s")
