"""Pricing helpers shared by the order workflow and its activities."""

import random

VOLUME_DISCOUNTS = {100: 0.05, 1000: 0.1}


def discount_for(total: float) -> float:
    rate = 0.0
    for threshold, discount in sorted(VOLUME_DISCOUNTS.items()):
        if total >= threshold:
            rate = discount
    return rate


def _promotion_bonus() -> float:
    # A surprise promotion: fine in an activity, not in workflow code.
    return 0.02 if random.random() < 0.1 else 0.0


def final_price(total: float) -> float:
    return round(total * (1 - discount_for(total) - _promotion_bonus()), 2)
