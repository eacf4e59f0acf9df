"""Fictional names for the synthetic world: towns, hospitals, wards, care homes, providers.

Names are built from word pools; a few combinations that are well-known real places are
refused so the sample never reads as a real organisation.
"""

from __future__ import annotations

import random


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


WARD_WORDS = _words(
    # trees
    "Alder Ash Aspen Beech Birch Cedar Cherry Chestnut Elm Hawthorn Hazel Holly Juniper Larch "
    "Laurel Linden Magnolia Maple Myrtle Oak Pine Poplar Rowan Spruce Sycamore Walnut Willow Yew "
    # flowers
    "Bluebell Buttercup Campion Celandine Clover Cowslip Daffodil Daisy Foxglove Heather "
    "Honeysuckle Iris Jasmine Lavender Lilac Marigold Meadowsweet Orchid Poppy Primrose Snowdrop "
    "Speedwell Sunflower Thistle Tulip Verbena Violet Yarrow "
    # birds
    "Avocet Curlew Dunlin Egret Fieldfare Goldcrest Heron Kestrel Kingfisher Lapwing Linnet "
    "Merlin Nightingale Nuthatch Osprey Peregrine Plover Redwing Robin Sandpiper Siskin Skylark "
    "Starling Swallow Swift Teal Warbler Woodlark Wren"
)

TOWN_FIRST = _words(
    "Ald Amber Bark Bel Bram Brack Cal Camber Chal Clay Cold Cran Dals Dun Elder Fair Fen Glen "
    "Hals Hart Heron Holl Ings Kel Lang Lark Lyn Marl Mel Nether Orm Pen Ral Rook Sal Sel Shep "
    "Tarn Thorn Thurl Tod Ul Wal Wen Whin Wold Wyvern Yar Ket Brin Cord Dray Elm Fos Gilt Hob "
    "Ivel Lox Mab Nor Ock Pell Quen Rid Sedge Tam Umber Vell Wick"
)

TOWN_SECOND = _words(
    "bridge bury by caster combe dale den field ford gate ham hurst leigh ley minster moor mouth "
    "ness port stead stoke stone thorpe ton wich wick worth wood water"
)

# Real places the pools can spell; never used.
REAL_TOWNS = frozenset(
    _words(
        "Ashford Ashby Bradford Brackley Camberley Colchester Fairford Kelham Langley "
        "Marlborough Melton Netherton Penrith Salford Selby Stockton Thornbury Todmorden "
        "Walsall Wenlock Wolverhampton Yarmouth Penzance Dunstable Sedgefield Sedgemoor "
        "Ulverston Waltham Elmbridge Hartlepool Halstead Lyndhurst Ketton Brinton "
        "Elmstead Amberley Clayton Dalston Coldstream Fenstanton Glenfield Holloway "
        "Larkfield Penwortham Tamworth Wickham Wickford Yarm Nordley Dunster Salcombe "
        "Penryn Lymington Elmley Tadworth Hartley Hartford Bramley Brambridge Camberwell "
        "Chalfont Dunwich Fenham Kelso Ockley Ridley Rookley Selsey Thornton Walton "
        "Wenham Whinfield Ulceby Norbury Norton Ketley Brinsley Dalby Bellingham Alderley "
        "Alderton Bardon Calton Claybrooke Cranford Cranleigh Fosdyke Holbury Lyneham "
        "Melbury Orford Ormskirk Pendle Rydal Sandwich Tarporley Thurleigh Wolverley "
        "Yarmouth Ambleside Tamerton"
    )
)

HOSPITAL_FORMS = (
    "{town} General Hospital",
    "{town} District Hospital",
    "Royal {town} Hospital",
    "{town} Royal Infirmary",
    "{town} University Hospital",
    "{town} Memorial Hospital",
)

TRUST_FORMS = (
    "{town} Hospitals NHS Foundation Trust",
    "{town} University Hospitals NHS Trust",
    "{town} and District NHS Foundation Trust",
    "{town} Teaching Hospitals NHS Trust",
)

COUNCIL_FORMS = ("{town} Council", "{town} City Council", "{town} Borough Council")

HOME_FIRST = _words(
    "Abbey Acorn Alder Ash Beech Birch Bramble Brook Cedar Clover Elm Fern Field Glebe Hazel "
    "Heather Hill Holly Ivy Lark Laurel Lime Maple Meadow Mill Moor Oak Orchard Park Pine Primrose "
    "River Rose Rowan Spring Sun Thorn Vale Willow Woodland Yew Church Manor Priory"
)

HOME_SECOND = (
    "House",
    "Lodge",
    "Court",
    "Grange",
    "Hall",
    "Manor",
    "View",
    "Gardens",
    "Mews",
    "Care Home",
    "Nursing Home",
    "Residential Home",
)

PROVIDER_FIRST = _words(
    "Bright Caring Comfort Compass Community Evergreen First Guardian Harmony Helping Horizon "
    "Kindly Loyal Pathway Radiant Safehands Silverline Summit Trusted Unity Valley Willow Beacon "
    "Anchor Blossom Cornerstone Daybreak Embrace Friendly Golden Homely Lantern Meridian Nurture"
)

PROVIDER_SECOND = (
    "Care Ltd",
    "Homecare Ltd",
    "Home Care Services",
    "Care at Home",
    "Support Services Ltd",
    "Domiciliary Care",
)

ZONES = ("North", "South", "East", "West", "Central", "Rural")


def town_names(rng: random.Random, count: int, taken: set[str] | None = None) -> list[str]:
    """``count`` distinct fictional town names."""
    taken = set() if taken is None else taken
    if count > len(TOWN_FIRST) * len(TOWN_SECOND) // 2:
        raise ValueError(f"cannot make {count} distinct town names from the pools")
    names: list[str] = []
    while len(names) < count:
        name = rng.choice(TOWN_FIRST) + rng.choice(TOWN_SECOND)
        if name in taken or name in REAL_TOWNS:
            continue
        taken.add(name)
        names.append(name)
    return names


def ward_names(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct ward names (``Beech Ward``); numbered once the pool runs out."""
    words = list(WARD_WORDS)
    rng.shuffle(words)
    names = [f"{word} Ward" for word in words[:count]]
    extra = count - len(names)
    names.extend(f"Ward {number}" for number in range(1, extra + 1))
    return names


def ward_code(name: str) -> str:
    """``Beech Ward`` → ``BEECH``; ``Ward 7`` → ``W7``."""
    if name.startswith("Ward "):
        return "W" + name.split()[1]
    return name.split()[0].upper()[:12]


def care_home_name(rng: random.Random) -> str:
    if rng.random() < 0.12:
        return f"The {rng.choice(HOME_FIRST)}s"
    return f"{rng.choice(HOME_FIRST)} {rng.choice(HOME_SECOND)}"


def provider_name(rng: random.Random, town: str) -> str:
    if rng.random() < 0.3:
        return f"{town} {rng.choice(PROVIDER_SECOND)}"
    return f"{rng.choice(PROVIDER_FIRST)} {rng.choice(PROVIDER_SECOND)}"
