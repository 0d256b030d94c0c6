"""Generate a multi-turn Chinese chat corpus (Moss format), the Chinese twin of chat_corpus.py.

About 25 turns and 2-3 minutes of Mandarin speech per dialogue, from seeded templates written
for this project: user turns are short questions and follow-ups, assistant turns are 1-4
sentences that carry the numbers, money, times, percentages and ranges Chinese chat answers
carry (so the zh normaliser has work to do). Same arguments, same bytes.

Run: ``python bench/chat_corpus_zh.py OUT.jsonl [--dialogues 20] [--turns 25] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

TOPICS = [
    ("做面包", "酵母", "烤箱", "面粉"),
    ("去杭州旅游", "地铁", "西湖", "酒店"),
    ("学吉他", "和弦", "琴弦", "练习"),
    ("在阳台种菜", "番茄", "土壤", "浇水"),
    ("准备第一次跑马拉松", "长距离训练", "跑鞋", "恢复"),
    ("存钱买房", "首付", "预算", "利率"),
    ("训练小狗", "笼子", "零食", "散步"),
    ("布置家庭办公室", "桌子", "灯光", "椅子"),
    ("多读书", "图书馆", "有声书", "书单"),
    ("在家做咖啡", "磨豆机", "咖啡豆", "水温"),
]
OPENERS = [
    "你能帮我了解一下{t}吗？",
    "我想开始{t}，应该从哪里入手？",
    "关于{t}，有什么需要注意的？",
]
FOLLOW_UPS = [
    "那{a}呢？",
    "一般需要多长时间？",
    "{b}真的那么重要吗？",
    "好的，那{c}大概要花多少钱？",
    "最常见的错误是什么？",
    "能举个简单的例子吗？",
    "如果我每天只有{n}分钟怎么办？",
    "明白了，还有什么要注意的吗？",
    "冬天的话要不要换个方法？",
    "谢谢，我怎么知道自己有没有进步？",
]
ANSWER_SENTENCES = [
    "最重要的是从小处开始，保持稳定的节奏。",
    "很多人一开始都觉得{a}需要一点耐心。",
    "我建议前{w}周每天花{n}分钟左右。",
    "如果可以的话，记一下笔记，这样每周的变化一目了然。",
    "可以把{b}看成基础，其他的都建立在它上面。",
    "一般来说，准备{p}元左右的预算就够了。",
    "第一次做得不完美也没关系，这很正常。",
    "出了问题的时候，一次只改一个地方，看看效果。",
    "很多新手会忽略{c}，大部分麻烦都是从这里开始的。",
    "大概一个月以后，你会发现整个过程轻松多了。",
    "找个朋友或者加入一个小组，会更容易坚持下去。",
    "尽量固定在每天的同一个时间，比如早上{h}点，习惯更容易养成。",
    "据我所知，大约{k}0%的人会太早放弃，所以一定要坚持。",
    "温度最好保持在{lo}到{hi}度之间。",
    "以后知道什么适合你了，随时可以调整计划。",
    "{b}的质量很重要，但不一定要买最贵的。",
]


def _fill(template: str, rng: random.Random, topic: tuple[str, str, str, str]) -> str:
    t, a, b, c = topic
    lo = rng.choice([15, 18, 20, 22])
    return template.format(
        t=t,
        a=a,
        b=b,
        c=c,
        n=rng.choice([10, 15, 20, 30, 45]),
        w=rng.choice([2, 3, 4, 6]),
        p=rng.choice([200, 350, 500, 800, 1200]),
        k=rng.choice([3, 4, 5, 6, 7]),
        h=rng.choice([6, 7, 8, 9]),
        lo=lo,
        hi=lo + rng.choice([3, 5, 8]),
    )


def make_dialogue(i: int, turns: int, seed: int) -> dict:
    """One Moss record with ``turns`` alternating human/assistant turns (human first)."""
    rng = random.Random(seed * 1_000_003 + i)
    topic = TOPICS[rng.randrange(len(TOPICS))]
    pairs = []
    for k in range(0, turns - 1, 2):
        pool = OPENERS if k == 0 else FOLLOW_UPS
        human = _fill(rng.choice(pool), rng, topic)
        picks = rng.sample(ANSWER_SENTENCES, rng.randint(1, 4))
        pairs.append({"human": human, "assistant": "".join(_fill(s, rng, topic) for s in picks)})
    return {"conversation_id": f"zh-chat-{seed}-{i:05d}", "conversation": pairs}


def write_corpus(path: str | Path, dialogues: int = 20, turns: int = 25, seed: int = 0) -> Path:
    """Write ``dialogues`` Moss records to ``path`` (JSONL) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for i in range(dialogues):
            f.write(json.dumps(make_dialogue(i, turns, seed), ensure_ascii=False) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output")
    parser.add_argument("--dialogues", type=int, default=20)
    parser.add_argument("--turns", type=int, default=25)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out = write_corpus(args.output, args.dialogues, args.turns, args.seed)
    print(f"wrote {args.dialogues} dialogues x {args.turns} turns to {out}")


if __name__ == "__main__":
    main()
